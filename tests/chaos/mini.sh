# mini.sh — a small otagw world for the security tests (bash): redis-server
# with a password and AOF (so every write can be grepped afterwards),
# otasim with one carrier account, a handful of cards from the soak's
# fleet generator, and a config with distinctive secrets.
#
#   . tests/chaos/mini.sh
#   mini_setup                # keystore, cards, redis, otasim; writes $M/otagw.conf
#   mini_gw_start [CONF]      # otagw in the background (pid MINI_GW), waits for "taking jobs"
#   mini_jobs N               # enqueues the first N jobs of the fleet
#   mini_wait_open 0 SECS     # until no job is open
#   MRCLI ...                 # redis-cli with the password
# Secrets of the run: $MINI_REDIS_PASS, $MINI_SMPP_PASS, and the keys of
# $M/keys.ini (mini_secrets prints them all, hex in both cases).
[ "$(type -t ok)" = function ] || . tests/lib/harness.sh
. tests/chaos/fleet.sh

OTAGW=${OTAGW:-$SAN_BUILD/otagw}
[ -x "$OTAGW" ] || OTAGW=$BUILD/otagw
OTASIM=${OTASIM:-$BUILD/otasim}
CHECK=${CHECK:-$BUILD/chaos/chaos_check}
M=$TMP/mini
mkdir -p "$M"
MINI_REDIS_PASS=Rp-$RANDOM$RANDOM-redis
MINI_SMPP_PASS=Sp$RANDOM
MRCLI() { REDISCLI_AUTH=$MINI_REDIS_PASS redis-cli -p "$REDIS_PORT" "$@"; }

mini_secrets() {
    echo "$MINI_REDIS_PASS"
    echo "$MINI_SMPP_PASS"
    sed -n 's/^ki[cd] = [a-z0-9]*:\([0-9a-f]*\)$/\1/p' "$M/keys.ini" | while read -r k; do
        echo "$k"
        echo "$k" | tr a-f A-F
    done
}

# mini_config FILE [extra carrier lines]
mini_config() {
    cp conf/e164.csv "$M/e164.csv"
    cat >"$1" <<CONF
[gateway]
name = mini
keystore = keys.ini
e164_table = e164.csv
log_level = debug
mask_msisdn = no

[redis]
host = 127.0.0.1
port = $REDIS_PORT
password = ${MINI_CONF_REDIS_PASS-$MINI_REDIS_PASS}

[carrier hub]
host = 127.0.0.1
port = $SIM_PORT
system_id = otagwmini
password = $MINI_SMPP_PASS
binds = 1
window = 10
response_timeout = 3s
reconnect_min = 200ms
reconnect_max = 1s
source_addr = 447700900999
${MINI_CARRIER_EXTRA:-}

[route]
default = hub

[applet default]
tar = b0ff01
slots = 1-4
command = 80 C2 {slot} 00 00
CONF
}

mini_setup() {
    fleet_make "$M" "${MINI_FLEET:-60}" 5 120 1 >/dev/null
    REDIS_PORT=$(free_port)
    mkdir -p "$M/redis"
    spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$M/redis" --save '' \
        --appendonly yes --appendfsync always --requirepass "$MINI_REDIS_PASS" --daemonize no
    local n=100
    until MRCLI ping 2>/dev/null | grep -q PONG; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
    MRCLI --pipe <"$M/cards.resp" >/dev/null || return 1
    SIM_PORT=$(free_port)
    SIM_CTL=$(free_port)
    # shellcheck disable=SC2086
    spawn otasim "$OTASIM" --cards "$M/cards.ini" --keys "$M/keys.ini" \
        --listen "127.0.0.1:$SIM_PORT" --account "hub:otagwmini:$MINI_SMPP_PASS" \
        --control "$SIM_CTL" --state "$M/state.txt" --journal "$M/journal.log" \
        --log "$M/pdu.log" ${MINI_SIM_ARGS:-}
    wait_port "$SIM_PORT" 10 || return 1
    mini_config "$M/otagw.conf"
}

mini_gw_start() {
    local conf=${1:-$M/otagw.conf} log=$TMP/otagw.log
    "$OTAGW" -c "$conf" >"$log" 2>&1 &
    MINI_GW=$!
    PIDS="$PIDS $MINI_GW"
    local n=300
    until grep -q 'taking jobs' "$log" 2>/dev/null; do
        n=$((n - 1))
        { [ "$n" -gt 0 ] && kill -0 "$MINI_GW" 2>/dev/null; } || return 1
        sleep 0.05
    done
}

mini_jobs() {
    # One chunk file per job (a job enqueued twice stays in its file).
    MINI_NJOBS=$1
    # shellcheck disable=SC2046
    cat $(ls "$M"/jobs/* | head -n "$1") | MRCLI --pipe >/dev/null
    head -n "$(($1 + 1))" "$M/manifest" >"$M/manifest.$1"
}

mini_wait_open() {
    local n=$(($2 * 4)) o
    while [ "$n" -gt 0 ]; do
        o=$("$CHECK" --redis "127.0.0.1:$REDIS_PORT" --password "$MINI_REDIS_PASS" \
            --manifest "$M/manifest.$MINI_NJOBS" --open 2>/dev/null)
        [ "$o" = "$1" ] && return 0
        sleep 0.25
        n=$((n - 1))
    done
    return 1
}
