#!/usr/bin/env bash
# bench_e2e.sh — the gateway end to end (issue #6): XADD -> otagw -> otasim
# (SMSC + cards: submit_sm_resp, receipt, PoR) -> final state in Redis.
# Run by `make bench`; prints figures, asserts only that every job ended
# confirmed.
#
# Part 1, throughput: BENCH_E2E_JOBS apdu jobs (default 20000) over
# BENCH_E2E_CARDS simulated cards (default 1000, AES-128 + CMAC keyset,
# ciphered PoR), all XADDed at once with redis-cli --pipe. Prints jobs/s
# from the first XADD to the last final state, the latency enqueue ->
# confirmed (p50/p95/p99: the job's stream entry id is its enqueue time,
# the event's ts its end, both from the Redis clock), and CPU seconds per
# job of otagw, redis-server and otasim (utime + stime from /proc/PID/stat).
#
# Part 2, waiting jobs: otasim holds every receipt and PoR
# BENCH_E2E_HOLD_MS (default 600000), and BENCH_E2E_WAITING jobs (default
# 100000) are sent; otagw's RSS and the CPU per job of otagw and Redis are
# printed as the number of jobs waiting for their receipt grows past 1k,
# 10k and 100k.
#
#   make && bash tests/bench/bench_e2e.sh
#   BENCH_E2E_JOBS=5000 BENCH_E2E_WAITING=10000 bash tests/bench/bench_e2e.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN_BUILD=$BUILD # the optimised binaries: this measures them
OTAGW=$BUILD/otagw
OTASIM=$BUILD/otasim
. tests/lib/harness.sh
. tests/lib/e2e.sh

N=${BENCH_E2E_JOBS:-20000}
CARDS=${BENCH_E2E_CARDS:-1000} # at most 100000
WAITING=${BENCH_E2E_WAITING:-100000}
HOLD_MS=${BENCH_E2E_HOLD_MS:-600000}
HZ=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
now_ms() { date +%s%3N; }

# Cards 8944100000000000000 + i, MSISDN 447700100000 + i, keyset ks2.
bench_cards() {
    local i
    for ((i = 0; i < CARDS; i++)); do
        printf '[card %d]\nmsisdn = %d\nclass = uicc\nkeyset = ks2\n\n' \
            $((8944100000000000000 + i)) $((447700100000 + i))
    done >"$E2E/cards.ini"
    for ((i = 0; i < CARDS; i++)); do
        printf 'HSET ota:card:%d keyset ks2 class uicc msisdn %d\n' \
            $((8944100000000000000 + i)) $((447700100000 + i))
    done | RCLI --pipe >/dev/null
}

# bench_jobs FROM COUNT: XADD apdu jobs round-robin over the cards (no id
# field: the job's key is its entry id, i.e. its enqueue time).
bench_jobs() {
    awk -v from="$1" -v n="$2" -v cards="$CARDS" 'BEGIN {
        for (i = from; i < from + n; i++) {
            c = i % cards
            # As text: awk numbers are doubles, ICCIDs are 19 digits.
            printf "XADD ota:jobs * type apdu iccid 894410%013d msisdn 4477001%05d tar b00011 apdus 00a40004026f62\n",
                c, c
        }
    }' | RCLI --pipe >/dev/null
}

# Starts redis, otasim (receipt/PoR delays $1/$2 ms) and otagw.
bench_start() {
    if [ -n "${BENCH_E2E_CALLGRIND:-}" ]; then
        # Counts rather than times (a shared machine): redis-server under
        # callgrind, collecting only during part 1 (callgrind_control).
        REDIS_PORT=$(free_port)
        mkdir -p "$TMP/redis"
        spawn redis valgrind --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$BENCH_E2E_CALLGRIND" redis-server --port "$REDIS_PORT" \
            --bind 127.0.0.1 --dir "$TMP/redis" --save '' --appendonly no --daemonize no
        REDIS_PID=$redis_PID
        local w=400
        until RCLI ping >/dev/null 2>&1; do
            w=$((w - 1))
            [ "$w" -gt 0 ] || { echo "redis-server did not start"; return 1; }
            sleep 0.05
        done
    else
        start_redis || return 1
    fi
    e2e_write_keystore "$E2E/keys.ini"
    bench_cards
    SIM_PORT=$(free_port)
    SIM_CTL=$(free_port)
    spawn otasim "$OTASIM" --cards "$E2E/cards.ini" --keys "$E2E/keys.ini" \
        --listen "127.0.0.1:$SIM_PORT" --account carrier:otagw:secret --msgid hex \
        --receipt-delay-ms "$1" --por-delay-ms "$2" --control "$SIM_CTL" --seed 1
    wait_port "$SIM_PORT" || { echo "otasim did not start"; cat "$TMP/otasim.log"; return 1; }
    SIM_PID=$otasim_PID
    E2E_CONF=$E2E/otagw.conf
    E2E_WINDOW=${BENCH_E2E_WINDOW:-200}
    e2e_write_config "$E2E_CONF"
    # Lean logging (warnings only) and room for a large backlog.
    sed -i -e 's/^log_level = debug/log_level = warning/' \
        -e 's/^default_validity = 300s/default_validity = 3600s\nbatch = 512\nmax_inflight = 4096/' \
        "$E2E_CONF"
    if [ -n "${BENCH_E2E_CALLGRIND_GW:-}" ]; then
        spawn otagw valgrind --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$BENCH_E2E_CALLGRIND_GW" "$OTAGW" -c "$E2E_CONF"
    else
        spawn otagw "$OTAGW" -c "$E2E_CONF"
    fi
    OTAGW_PID=$otagw_PID
    local n=400
    # Taking jobs: its XREADGROUP BLOCK waits (it starts once a bind is up).
    until RCLI client list 2>/dev/null | grep -q ' flags=b '; do
        n=$((n - 1))
        [ "$n" -gt 0 ] && kill -0 "$OTAGW_PID" 2>/dev/null || {
            echo "otagw did not start"
            tail -n 20 "$TMP/otagw.log"
            return 1
        }
        sleep 0.05
    done
}

bench_stop() {
    kill "$OTAGW_PID" "$SIM_PID" "$REDIS_PID" 2>/dev/null
    wait "$OTAGW_PID" "$SIM_PID" "$REDIS_PID" 2>/dev/null
}

# Jobs not final yet (the deadline set holds exactly those).
open_jobs() { RCLI zcard ota:deadlines; }
# Entries read by the group but not yet submitted, retried or final.
pending() { RCLI xpending ota:jobs otagw | head -n 1; }
lag() { RCLI xinfo groups ota:jobs | awk 'p { print; exit } $0 == "lag" { p = 1 }'; }

# finals FROM: "job state ts" of every final event after stream id FROM
# ('-' = all): the job's key is its entry id, i.e. its enqueue time.
finals() {
    RCLI --raw eval "
local out, last = {}, ARGV[1]
while true do
  local r = redis.call('XRANGE', KEYS[1], last, '+', 'COUNT', 10000)
  if #r == 0 then break end
  for _, e in ipairs(r) do
    local f, j, s, ts = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'job' then j = f[i + 1] elseif f[i] == 'state' then s = f[i + 1]
      elseif f[i] == 'ts' then ts = f[i + 1] end
    end
    if s == 'confirmed' or s == 'failed' or s == 'rejected' or s == 'expired' then
      out[#out + 1] = j .. ' ' .. s .. ' ' .. ts
    end
  end
  last = '(' .. r[#r][1]
end
return out" 1 ota:events "$1"
}

# Waits until every job is final (bounded); 1 on timeout.
drained() {
    local limit=$(($(now_ms) + 600000))
    while :; do
        sleep 0.5
        [ "$(lag)" = 0 ] && [ "$(pending)" = 0 ] && [ "$(open_jobs)" = 0 ] && return 0
        [ "$(now_ms)" -lt "$limit" ] || return 1
    done
}

# ---- part 1: throughput ----------------------------------------------------
bench_start 20 30 || exit 1
RCLI config resetstat >/dev/null
[ -z "${BENCH_E2E_CALLGRIND:-}" ] || callgrind_control -i on "$REDIS_PID" >/dev/null
[ -z "${BENCH_E2E_CALLGRIND_GW:-}" ] || callgrind_control -i on "$OTAGW_PID" >/dev/null
g0=$(cpu_ticks "$OTAGW_PID") r0=$(cpu_ticks "$REDIS_PID") s0=$(cpu_ticks "$SIM_PID")
t0=$(now_ms)
bench_jobs 0 "$N"
t_enq=$(now_ms)
drained || echo "e2e: part 1 timed out"
g1=$(cpu_ticks "$OTAGW_PID") r1=$(cpu_ticks "$REDIS_PID") s1=$(cpu_ticks "$SIM_PID")
RCLI info commandstats | tr -d '\r' >"$TMP/cmdstats.txt"
for p in ${BENCH_E2E_CALLGRIND:+$REDIS_PID} ${BENCH_E2E_CALLGRIND_GW:+$OTAGW_PID}; do
    callgrind_control -d "$p" >/dev/null
    callgrind_control -i off "$p" >/dev/null
done
finals - >"$TMP/finals.txt"
# Latency per job (sorted), then the figures.
awk '{ split($1, id, "-"); print $3 - id[1], $2, id[1], $3 }' "$TMP/finals.txt" |
    sort -n >"$TMP/lat.txt"
awk -v n="$N" -v k="$(wc -l <"$TMP/lat.txt")" -v g="$((g1 - g0))" -v r="$((r1 - r0))" \
    -v s="$((s1 - s0))" -v hz="$HZ" -v cards="$CARDS" -v enq="$((t_enq - t0))" '
{
    l[NR] = $1
    if ($2 == "confirmed") ok++
    if (first == "" || $3 < first) first = $3
    if ($4 > end) end = $4
}
function pct(p) { i = int(k * p); if (i < 1) i = 1; return l[i] }
END {
    if (k == 0) { print "e2e: no job ended"; exit 1 }
    secs = (end - first) / 1000
    printf "e2e: %d apdu jobs over %d cards (AES-128/CMAC, ciphered PoR), XADDed in %.2f s\n", n, cards, enq / 1000
    printf "e2e: %d confirmed, %d final in all, in %.2f s: %.0f jobs/s (first XADD to last final state)\n", ok, k, secs, k / secs
    printf "e2e: latency XADD -> final: p50 %d ms, p95 %d ms, p99 %d ms, max %d ms (a burst: the backlog included)\n",
        pct(0.50), pct(0.95), pct(0.99), l[k]
    printf "e2e: CPU per job: otagw %.1f us, redis-server %.1f us, otasim %.1f us (together %.2f CPU-s in %.2f s)\n",
        g / hz / k * 1e6, r / hz / k * 1e6, s / hz / k * 1e6, (g + r + s) / hz, secs
    if (ok != n) exit 1
}' "$TMP/lat.txt"
rc1=$?
bad=$(awk '$2 != "confirmed" { print $1; exit }' "$TMP/finals.txt")
[ -z "$bad" ] || echo "e2e: not confirmed, e.g. job $bad: $(RCLI hget "ota:job:$bad" state): $(RCLI hget "ota:job:$bad" detail)"
# Redis per job, by command (INFO commandstats since the start of part 1;
# commands run by a function or script are counted under their own name
# too, so FCALL's time includes theirs): the breakdown in docs/queue.md.
printf 'e2e: redis %-14s %9s %10s %9s\n' command calls calls/job us/job
awk -F'[:,=]' -v n="$N" '
/^cmdstat_/ && $3 / n >= 0.001 {
    printf "e2e: redis %-14s %9d %10.3f %9.2f\n", substr($1, 9), $3, $3 / n, $5 / n
}' "$TMP/cmdstats.txt" | sort -k6 -g -r

# ---- part 1b: latency at a steady rate below capacity -----------------------
# BENCH_E2E_RATE jobs/s (default 1000) for BENCH_E2E_PACED_S seconds
# (default 5), fed every 100 ms on the same processes.
RATE=${BENCH_E2E_RATE:-1000}
PACED_S=${BENCH_E2E_PACED_S:-5}
from=$(RCLI xrevrange ota:events + - count 1 | head -n 1)
chunk=$((RATE / 10))
tp=$(now_ms)
for ((k = 0; k < PACED_S * 10; k++)); do
    bench_jobs $((N + k * chunk)) "$chunk"
    wait_ms=$((tp + (k + 1) * 100 - $(now_ms)))
    [ "$wait_ms" -le 0 ] || sleep "$(awk -v m="$wait_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
done
drained || echo "e2e: part 1b timed out"
finals "($from" | awk '{ split($1, id, "-"); print $3 - id[1] }' | sort -n >"$TMP/lat2.txt"
awk -v k="$(wc -l <"$TMP/lat2.txt")" -v rate="$RATE" -v secs="$PACED_S" '
{ l[NR] = $1 }
function pct(p) { i = int(k * p); if (i < 1) i = 1; return l[i] }
END {
    printf "e2e: paced %d jobs/s for %d s (%d jobs ended): latency XADD -> final p50 %d ms, p95 %d ms, p99 %d ms, max %d ms (otasim: receipt 20 ms, PoR 30 ms)\n",
        rate, secs, k, pct(0.50), pct(0.95), pct(0.99), l[k]
}' "$TMP/lat2.txt"
bench_stop

[ "$WAITING" -gt 0 ] || exit "$rc1"

# ---- part 2: otagw's RSS and the cost per job as waiting jobs grow -------
PIDS=""
bench_start "$HOLD_MS" "$HOLD_MS" || exit 1
echo "e2e: receipts and PoRs held ${HOLD_MS} ms; $WAITING jobs sent"
printf 'e2e: %8s %10s %14s %16s\n' waiting "otagw RSS" "otagw us/job" "redis us/job"
printf 'e2e: %8d %7d kB %14s %16s\n' 0 "$(rss_kb "$OTAGW_PID")" - -
(bench_jobs 0 "$WAITING") &
feeder=$!
prev_w=0 prev_g=$(cpu_ticks "$OTAGW_PID") prev_r=$(cpu_ticks "$REDIS_PID")
limit=$(($(now_ms) + 900000))
for mark in 1000 10000 100000 1000000; do
    [ "$mark" -le "$WAITING" ] || break
    while :; do
        w=$(($(open_jobs) - $(pending)))
        [ "$w" -ge "$mark" ] && break
        [ "$(now_ms)" -lt "$limit" ] || break 2
        sleep 0.2
    done
    g=$(cpu_ticks "$OTAGW_PID") r=$(cpu_ticks "$REDIS_PID")
    awk -v w="$w" -v rss="$(rss_kb "$OTAGW_PID")" -v g="$((g - prev_g))" -v r="$((r - prev_r))" \
        -v dw="$((w - prev_w))" -v hz="$HZ" 'BEGIN {
        printf "e2e: %8d %7d kB %14.1f %16.1f\n", w, rss, g / hz / dw * 1e6, r / hz / dw * 1e6 }'
    prev_w=$w prev_g=$g prev_r=$r
done
wait "$feeder"
echo "e2e: redis used_memory $(RCLI info memory | awk -F: '/^used_memory_human/ { print $2 }' | tr -d '\r') with $(open_jobs) jobs open"
bench_stop
exit "$rc1"
