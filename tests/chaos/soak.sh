#!/usr/bin/env bash
# soak.sh — the chaos soak (docs/reliability.md): a large mixed fleet through
# the real otagw, redis-server and otasim while faults are injected at
# random (seeded, printed, bounded in count and time), then the invariant
# checker (tests/chaos/chaos_check.c) over what is left.
#
#   bash tests/chaos/soak.sh            # parameters from the environment:
#   CHAOS_JOBS=100000   jobs in the fleet
#   CHAOS_RATE=150      jobs enqueued per second (paced: latency means something)
#   CHAOS_SEED=<time>   the seed of the fleet and of the faults (printed)
#   CHAOS_VALIDITY=120  each job's validity, seconds: every job ends in bounded time
#   CHAOS_FAULT_GAP=8:30  seconds between two faults, uniform in [min, max]
#   CHAOS_MAX_FAULTS=60 at most this many faults; each kind at least once first
#   CHAOS_DRAIN=400     seconds allowed after the last enqueue for every job to end
#   CHAOS_STALL=30      seconds without an event, with work waiting, that fail the run
#   CHAOS_KEEP=DIR      keep the run's files there (logs, journal, state, figures)
#
# Only public interfaces: jobs are XADDs to ota:jobs, results are read from
# ota:events and ota:job:<id>, faults go through otasim's control port,
# kill -9 and redis-server's own restart; the daemon is started from a
# generated config as an operator would.
#
# Redis runs with appendonly yes and appendfsync always, as production
# should: the card counters (INCR ota:cntr:...) must survive a crash of
# Redis itself, or the next packet reuses a counter the card has seen. With
# everysec up to a second of INCRs can vanish at a kill -9 (the checker's
# cntr-regress would catch it); always costs one fsync per event-loop
# iteration, which Redis batches across clients.
#
# Exit status 0 when every invariant held; the figures go to stdout and to
# $RUN/figures.txt.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(type -t ok)" = function ] || . tests/lib/harness.sh
. tests/chaos/fleet.sh

CHAOS_JOBS=${CHAOS_JOBS:-100000}
CHAOS_RATE=${CHAOS_RATE:-150}
CHAOS_SEED=${CHAOS_SEED:-$(date +%s)}
CHAOS_VALIDITY=${CHAOS_VALIDITY:-120}
CHAOS_FAULT_GAP=${CHAOS_FAULT_GAP:-8:30}
CHAOS_MAX_FAULTS=${CHAOS_MAX_FAULTS:-60}
CHAOS_DRAIN=${CHAOS_DRAIN:-400}
CHAOS_STALL=${CHAOS_STALL:-30}
OTAGW=${OTAGW:-$BUILD/otagw}
OTASIM=${OTASIM:-$BUILD/otasim}
CHECK=${CHECK:-$BUILD/chaos/chaos_check}
RUN=$TMP/soak
mkdir -p "$RUN"
RUN_T0=$(date +%s)

now_ms() { date +%s%3N; }
say() { echo "# [$(($(date +%s) - RUN_T0))s] $*"; }
fault_log() { echo "$(now_ms) $*" >>"$RUN/faults"; say "fault: $*"; }

say "seed $CHAOS_SEED: $CHAOS_JOBS jobs at $CHAOS_RATE/s, validity ${CHAOS_VALIDITY}s, faults every $CHAOS_FAULT_GAP s (at most $CHAOS_MAX_FAULTS)"
say "replay: CHAOS_SEED=$CHAOS_SEED CHAOS_JOBS=$CHAOS_JOBS CHAOS_RATE=$CHAOS_RATE bash tests/chaos/soak.sh"

# ---- the fleet ----
chunk=$(((CHAOS_RATE + 3) / 4)) # four enqueue ticks a second
fleet_make "$RUN" "$CHAOS_JOBS" "$CHAOS_SEED" "$CHAOS_VALIDITY" "$chunk" | sed 's/^/# /'
: >"$RUN/faults"

# ---- redis-server, AOF always, restartable on the same port ----
REDIS_PORT=$(free_port)
REDIS_PASS=chaos-redis-$CHAOS_SEED-pw
mkdir -p "$RUN/redis"
redis_start() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN/redis" --save '' \
        --appendonly yes --appendfsync always --requirepass "$REDIS_PASS" --daemonize no \
        >>"$RUN/redis.log" 2>&1 &
    REDIS_PID=$!
    PIDS="$PIDS $REDIS_PID"
    echo "$REDIS_PID" >"$RUN/gw-redis.pid" # see gw_start
    local n=200
    until RCLI ping 2>/dev/null | grep -q PONG; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || { say "redis-server did not start"; tail "$RUN/redis.log"; return 1; }
        sleep 0.05
    done
}
RCLI() { REDISCLI_AUTH=$REDIS_PASS redis-cli -p "$REDIS_PORT" "$@"; }
redis_start || exit 1
RCLI --pipe <"$RUN/cards.resp" >/dev/null || exit 1

# ---- otasim: three carriers, receipts, PoRs ----
SIM_CTL=$(free_port)
P_HUB=$(free_port)
P_EU=$(free_port)
P_BR=$(free_port)
spawn otasim "$OTASIM" --cards "$RUN/cards.ini" --keys "$RUN/keys.ini" \
    --account "hub:otagwhub:hubpw$((CHAOS_SEED % 1000))" \
    --account "eu:otagweu:eupw$((CHAOS_SEED % 1000))" \
    --account "br:otagwbr:brpw$((CHAOS_SEED % 1000))" \
    --listen "127.0.0.1:$P_HUB,account=hub" --listen "127.0.0.1:$P_EU,account=eu" \
    --listen "127.0.0.1:$P_BR,account=br" --msgid hex/dec --receipt both \
    --outcome DELIVRD=97,UNDELIV=2,EXPIRED=1 --receipt-delay-ms 40 --por-delay-ms 60 \
    --window 20 --control "$SIM_CTL" --state "$RUN/state.txt" --journal "$RUN/journal.log" \
    --seed "$CHAOS_SEED"
wait_port "$P_HUB" 20 && wait_port "$SIM_CTL" 5 || { say "otasim did not start"; cat "$TMP/otasim.log"; exit 1; }

sim_ctl() {
    exec 4<>"/dev/tcp/127.0.0.1/$SIM_CTL" || return 1
    echo "$1" >&4
    timeout 10 sed '/^\.$/q; /^ok$/q; /^error/q' <&4
    exec 4<&-
}

# ---- otagw's configuration ----
cp conf/e164.csv "$RUN/e164.csv"
carrier() { # name port system_id password
    cat <<C

[carrier $1]
host = 127.0.0.1
port = $2
system_id = $3
password = $4
bind = trx
binds = 2
window = 20
tps = 400
source_addr = 447700900999
response_timeout = 3s
reconnect_min = 200ms
reconnect_max = 2s
enquire_link = 5s
msgid_format = auto
C
}
{
    cat <<CONF
# The chaos soak's gateway (tests/chaos/soak.sh), seed $CHAOS_SEED.
[gateway]
name = chaos
keystore = keys.ini
e164_table = e164.csv
log_level = info
default_validity = 300s
max_attempts = 4
max_inflight = 400

[redis]
host = 127.0.0.1
port = $REDIS_PORT
password = $REDIS_PASS
CONF
    carrier hub "$P_HUB" otagwhub "hubpw$((CHAOS_SEED % 1000))"
    carrier eu "$P_EU" otagweu "eupw$((CHAOS_SEED % 1000))"
    carrier br "$P_BR" otagwbr "brpw$((CHAOS_SEED % 1000))"
    echo "countries = BR"
    cat <<CONF

[route]
default = hub
DE = eu, hub
FR = eu, hub
BR = br

[policy]
BR = local-only

[applet default]
description = the soak cards' multi-IMSI applet
tar = b0ff01
slots = 1-4
command = 80 C2 {slot} 00 00
CONF
} >"$RUN/otagw.conf"
"$OTAGW" -c "$RUN/otagw.conf" --check-config >"$RUN/check-config.txt" 2>&1 ||
    { say "configuration refused"; cat "$RUN/check-config.txt"; exit 1; }

# ---- the daemons: A always (restarted after a kill), B joins and leaves ----
GW_A_PID=""
GW_B_PID=""
GW_STARTS=0
gw_start() { # A|B; waits until it takes jobs
    GW_STARTS=$((GW_STARTS + 1))
    local log=$RUN/otagw-$1.$GW_STARTS.log
    "$OTAGW" -c "$RUN/otagw.conf" >"$log" 2>&1 &
    local pid=$!
    PIDS="$PIDS $pid"
    eval "GW_$1_PID=$pid"
    # The fault injector runs in a subshell: its restarts are known to the
    # main script (and its cleanup) only through these files.
    echo "$pid" >"$RUN/gw-$1.pid"
    local n=400
    until grep -q 'taking jobs' "$log" 2>/dev/null; do
        n=$((n - 1))
        if [ "$n" -le 0 ] || ! kill -0 "$pid" 2>/dev/null; then
            say "otagw $1 did not start"
            tail -n 20 "$log" | sed 's/^/#   /'
            return 1
        fi
        sleep 0.05
    done
}
gw_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
soak_cleanup() {
    local f
    for f in "$RUN"/gw-*.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    cleanup
}
trap soak_cleanup EXIT
gw_start A || exit 1

# Marks windows in which the progress check must not count (a daemon or
# Redis down, and the recovery right after): $RUN/down holds the ms until
# which it is excused.
# Written whole (a rename): the sampler must never read it half written.
excuse() { echo $(($(now_ms) + $1 * 1000)) >"$RUN/down.tmp" && mv "$RUN/down.tmp" "$RUN/down"; }
echo 0 >"$RUN/down"

# ---- the fault injector ----
# Each fault is bounded: set, held for a few seconds, cleared. The kinds are
# shuffled into a first round (every kind at least once), then drawn at
# random; everything from $RANDOM seeded with CHAOS_SEED.
KINDS="smsc-drop smsc-drop-after smsc-stall smsc-reject-binds smsc-throttle smsc-malformed gw-kill redis-restart gw-join"
# A sim fault set to $2, held for $3 seconds, then cleared (back to 0).
fault_hold() {
    sim_ctl "fault $1 $2" >/dev/null
    sleep "$3"
    sim_ctl "fault $1 0" >/dev/null
}
inject() {
    local k=$1 hold=$((2 + RANDOM % 6))
    case $k in
    smsc-drop)
        fault_log smsc-drop "every link closed mid-window"
        sim_ctl "fault drop-all 1" >/dev/null ;;
    smsc-drop-after)
        local n=$((20 + RANDOM % 200))
        fault_log smsc-drop-after "each link closed at its ${n}th submit_sm, for ${hold}s"
        fault_hold drop-after "$n" "$hold" ;;
    smsc-stall)
        local ms=$((500 + RANDOM % 4000))
        fault_log smsc-stall "submit_sm_resp held ${ms} ms, for ${hold}s"
        fault_hold stall-ms "$ms" "$hold" ;;
    smsc-reject-binds)
        local ms=$((2000 + RANDOM % 6000))
        fault_log smsc-reject-binds "links dropped, binds refused for ${ms} ms"
        excuse $((ms / 1000 + 10))
        sim_ctl "fault reject-binds-for-ms $ms" >/dev/null
        sim_ctl "fault drop-all 1" >/dev/null ;;
    smsc-throttle)
        local p=$((20 + RANDOM % 60))
        fault_log smsc-throttle "0.$p of submits ESME_RTHROTTLED, for ${hold}s"
        fault_hold throttle-rate "0.$p" "$hold" ;;
    smsc-malformed)
        local n=$((5 + RANDOM % 40))
        fault_log smsc-malformed "a malformed PDU before every ${n}th, for ${hold}s"
        fault_hold malformed-every "$n" "$hold" ;;
    gw-kill)
        local who=A pid=$GW_A_PID
        if gw_alive "$GW_B_PID" && [ $((RANDOM % 2)) -eq 0 ]; then who=B pid=$GW_B_PID; fi
        gw_alive "$pid" || return 0
        fault_log gw-kill "SIGKILL otagw $who (pid $pid), restart after ${hold}s"
        excuse $((hold + 15))
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
        [ "$who" = B ] && { GW_B_PID=""; return 0; }
        sleep "$hold"
        gw_start A || say "otagw A did not come back" ;;
    redis-restart)
        fault_log redis-restart "SIGKILL redis-server, AOF replay after ${hold}s"
        excuse $((hold + 15))
        kill -9 "$REDIS_PID"
        wait "$REDIS_PID" 2>/dev/null
        sleep "$hold"
        redis_start || say "redis-server did not come back" ;;
    gw-join)
        gw_alive "$GW_B_PID" && return 0
        local stay=$((10 + RANDOM % 30))
        fault_log gw-join "a second otagw joins for ${stay}s, then leaves (SIGTERM)"
        gw_start B || return 0
        ( sleep "$stay"; kill -TERM "$GW_B_PID" 2>/dev/null ) &
        ;;
    esac
}
faults_run() {
    RANDOM=$CHAOS_SEED
    local gmin=${CHAOS_FAULT_GAP%:*} gmax=${CHAOS_FAULT_GAP#*:} n=0 first k
    first=$(for k in $KINDS; do echo "$RANDOM $k"; done | sort -n | awk '{print $2}')
    # The first round (every kind once) completes even when the enqueue
    # ends first; random faults stop with the enqueue.
    local nk
    nk=$(echo $KINDS | wc -w)
    while [ "$n" -lt "$CHAOS_MAX_FAULTS" ] && { [ "$n" -lt "$nk" ] || [ ! -e "$RUN/stop-faults" ]; }; do
        sleep $((gmin + RANDOM % (gmax - gmin + 1)))
        [ -e "$RUN/stop-faults" ] && [ "$n" -ge "$nk" ] && break
        if [ "$n" -lt "$nk" ]; then
            k=$(echo "$first" | sed -n "$((n + 1))p")
        else
            set -- $KINDS
            shift $((RANDOM % $#))
            k=$1
        fi
        inject "$k"
        n=$((n + 1))
    done
}

# ---- the progress sampler: "ts_ms nevents backlog up" every second ----
progress_run() {
    : >"$RUN/progress"
    while [ ! -e "$RUN/stop-progress" ]; do
        local t ne lag due up=1
        t=$(now_ms)
        ne=$(RCLI XLEN ota:events 2>/dev/null)
        # Entries not yet handed to any consumer: those after the group's
        # last-delivered-id (up to 1000). XINFO's "lag" is not used: it
        # stays stale after a Redis restart (seen stuck at 12487 with the
        # stream fully read).
        local last
        last=$(RCLI XINFO GROUPS ota:jobs 2>/dev/null | awk 'p { print; exit } $0 == "last-delivered-id" { p = 1 }')
        lag=0
        [ -n "$last" ] && lag=$(RCLI XRANGE ota:jobs "($last" + COUNT 1000 2>/dev/null | grep -c '^[0-9]*-[0-9]*$')
        due=$(RCLI ZCOUNT ota:retry -inf "$t" 2>/dev/null)
        # Redis loading its AOF answers "LOADING ...": not a number, not up.
        case "$ne$lag$due" in *[!0-9]*) up=0 ne=0 lag=0 due=0 ;; esac
        [ -n "$ne" ] || up=0
        [ "$t" -gt "$(cat "$RUN/down")" ] || up=0
        echo "$t ${ne:-0} $((${lag:-0} + ${due:-0})) $up" >>"$RUN/progress"
        sleep 1
    done
}

# ---- the enqueuer: one chunk file per tick, retried until Redis takes it ----
enqueue_run() {
    local tick_ms=250 next f
    next=$(now_ms)
    for f in "$RUN"/jobs/*; do
        until RCLI --pipe <"$f" >"$RUN/pipe.out" 2>&1 && grep -q 'errors: 0' "$RUN/pipe.out"; do
            sleep 0.5 # Redis restarting: the client retries; ids make it idempotent
        done
        next=$((next + tick_ms))
        local wait=$((next - $(now_ms)))
        [ "$wait" -gt 0 ] && sleep "$(printf '0.%03d' "$wait")"
    done
}

open_jobs() { "$CHECK" --redis "127.0.0.1:$REDIS_PORT" --password "$REDIS_PASS" --manifest "$RUN/manifest" --open 2>/dev/null; }

progress_run &
PROG_PID=$!
faults_run &
FAULT_PID=$!
PIDS="$PIDS $PROG_PID $FAULT_PID"
say "enqueueing"
enqueue_run
say "all $CHAOS_JOBS jobs enqueued"
touch "$RUN/stop-faults"
wait "$FAULT_PID" 2>/dev/null
sim_ctl "fault drop-after 0" >/dev/null
GW_A_PID=$(cat "$RUN/gw-A.pid")
REDIS_PID=$(cat "$RUN/gw-redis.pid")
gw_alive "$GW_A_PID" || gw_start A
gw_alive "$REDIS_PID" || redis_start
say "faults over; draining (at most ${CHAOS_DRAIN}s)"

deadline=$(($(date +%s) + CHAOS_DRAIN))
open=-1
while [ "$(date +%s)" -lt "$deadline" ]; do
    open=$(open_jobs)
    [ "$open" = 0 ] && break
    sleep 5
done
say "open jobs at the end: $open"
touch "$RUN/stop-progress"
wait "$PROG_PID" 2>/dev/null
sim_ctl flush >/dev/null
sleep 0.5

"$CHECK" --redis "127.0.0.1:$REDIS_PORT" --password "$REDIS_PASS" --manifest "$RUN/manifest" \
    --journal "$RUN/journal.log" --state "$RUN/state.txt" --progress "$RUN/progress" \
    --faults "$RUN/faults" --stall-s "$CHAOS_STALL" >"$RUN/figures.txt" 2>&1
rc=$?
{
    echo "seed: $CHAOS_SEED"
    echo "wall time: $(($(date +%s) - RUN_T0)) s"
    echo "daemon starts: $(ls "$RUN"/otagw-*.log | wc -l)"
    grep -E '^smsc\.(window_violations|malformed_sent|binds_refused)|^account\.[a-z]+\.(submits|throttled)' "$RUN/state.txt"
} >>"$RUN/figures.txt"
sed 's/^/# /' "$RUN/figures.txt"
# Window overruns are reported, not failed: they come from submit_sm_resp
# arriving after otagw's response_timeout (the slot is freed at the
# timeout while the SMSC still counts the SM), see docs/reliability.md.
wv=$(awk '$1 == "smsc.window_violations" { print $2 }' "$RUN/state.txt")
late=$(cat "$RUN"/otagw-*.log | grep -c 'late after timeout')
say "window overruns seen by the SMSC: ${wv:-0}; submit_sm_resp after otagw's timeout: $late"
if [ -n "${CHAOS_KEEP:-}" ]; then
    mkdir -p "$CHAOS_KEEP" && cp -r "$RUN"/. "$CHAOS_KEEP"/ && cp "$TMP"/*.log "$CHAOS_KEEP"/ 2>/dev/null
    say "run kept in $CHAOS_KEEP"
fi
[ "$rc" -eq 0 ] && say "PASS" || say "FAIL"
exit "$rc"
