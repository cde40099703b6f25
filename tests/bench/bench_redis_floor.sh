#!/usr/bin/env bash
# bench_redis_floor.sh — the least Redis CPU a job can cost under otagw's
# contract on this machine (issue #6): what any implementation must ask of
# Redis for one job that goes received -> submitted -> delivered ->
# confirmed, sent as plain commands (no Lua, no checks, no atomicity),
# pipelined in one stream by redis-cli --pipe, against an empty
# redis-server with no persistence. Run by `make bench`; prints figures and
# asserts only that Redis answered every command without an error.
#
# Per job (the writes and reads docs/DESIGN.md and docs/queue.md require;
# values of the sizes bench_e2e's jobs have):
#   enqueue   XADD ota:jobs (the platform's)
#   intake    EXISTS job (idempotency), HSET record (22 fields), ZADD
#             deadline, XADD event `received`, XACK
#   submit    INCR counter, HMGET state attempt, HSET state (9 fields),
#             HDEL lease, XADD event `submitted`, SET msgid map PX, SET por
#             map PX, HSET + PEXPIRE PoR index
#   receipt   GET msgid map, HMGET 7 fields, HSET 4, XADD event `delivered`
#   PoR       HGETALL PoR index, GET por map, HGET type, HMGET script
#             fields (7), HMGET 9, HSET 4, XADD event `confirmed`, ZREM
#             deadline, EXPIRE record
# 27 commands. otagw's library does the same work with its checks in Lua
# (one FCALL per loop turn); the difference between the two is the price
# of those checks and of Lua.
#
#   BENCH_FLOOR_JOBS=20000 bash tests/bench/bench_redis_floor.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib/harness.sh

N=${BENCH_FLOOR_JOBS:-20000}
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

start_redis || { echo "not ok - redis-server"; exit 1; }
RCLI() { redis-cli -p "$REDIS_PORT" "$@"; }

# The commands of N jobs in RESP (LC_ALL=C: length() counts octets).
LC_ALL=C awk -v n="$N" '
function put(s,    a, k, i, out) {
    k = split(s, a, / /)
    out = "*" k "\r\n"
    for (i = 1; i <= k; i++)
        out = out "$" length(a[i]) "\r\n" a[i] "\r\n"
    printf "%s", out
}
BEGIN {
    # As text: mawk writes integers past 2^31 as 1.7956e+12.
    ts = "1795600000000"
    lu = sprintf("%.0f", ts + 30000)
    dl = sprintf("%.0f", ts + 3600000)
    for (i = 0; i < n; i++) {
        c = i % 1000
        id = ts "-" i
        k = "ota:job:" id
        icc = sprintf("894410%013d", c)
        ms = sprintf("4477001%05d", c)
        put("XADD ota:jobs " id " type apdu iccid " icc " msisdn " ms " tar b00011 apdus 00a40004026f62")
        # intake
        put("EXISTS " k)
        put("HSET " k " state received attempt 1 por always lease_owner gw-1 lease_until " lu \
            " counter " i+1 " entry " id " deadline " dl " keyset ks2 class uicc iccid " icc \
            " detail accepted updated " ts " created " ts " route_country GB type apdu msisdn " ms \
            " tar b00011 apdus 00a40004026f62 validity 3600 tag - x 0")
        put("ZADD ota:deadlines " dl " " id)
        put("XADD ota:events * job " id " state received detail accepted carrier - country GB tag - ts " ts " attempt 1")
        put("XACK ota:jobs otagw " id)
        # submitted
        put("INCR ota:cntr:" icc ":ks2")
        put("HMGET " k " state attempt")
        put("HSET " k " state submitted detail accepted,1-SM updated " ts " route_carrier sim route_country GB" \
            " tar b00011 segments 1 seg_ok 0 msgids F" i)
        put("HDEL " k " lease_owner lease_until")
        put("XADD ota:events * job " id " state submitted detail accepted,1-SM carrier sim country GB tag - ts " ts " attempt 1")
        put("SET ota:msgid:sim:F" i " " id "\t1\t1\t1 PX 7200000")
        put("SET ota:por:" ms ":b00011:" i+1 " " id "\t1 PX 7200000")
        put("HSET ota:porix:" ms ":b00011 ks2 " i+1)
        put("PEXPIRE ota:porix:" ms ":b00011 7200000")
        # receipt
        put("GET ota:msgid:sim:F" i)
        put("HMGET " k " state por attempt tag route_carrier route_country seg_ok")
        put("HSET " k " state delivered detail stat:DELIVRD updated " ts " seg_ok 1")
        put("XADD ota:events * job " id " state delivered detail stat:DELIVRD carrier sim country GB tag - ts " ts " attempt 1")
        # PoR: the lookup (porlookup find), then the transition
        put("HGETALL ota:porix:" ms ":b00011")
        put("GET ota:por:" ms ":b00011:" i+1)
        put("HGET " k " type")
        put("HMGET " k " type iccid msisdn tar apdus class keyset")
        put("HMGET " k " state por attempt tag route_carrier route_country lease_owner entry resyncs")
        put("HSET " k " state confirmed detail PoR-00 updated " ts " por_data 019000")
        put("XADD ota:events * job " id " state confirmed detail PoR-00 carrier sim country GB tag - ts " ts " attempt 1")
        put("ZREM ota:deadlines " id)
        put("EXPIRE " k " 604800")
    }
}' >"$TMP/cmds.resp"

# ROUNDS rounds on an emptied Redis: CPU time is read in clock ticks on a
# shared machine, so the floor is the least of them.
ROUNDS=${BENCH_FLOOR_ROUNDS:-3}
best="" all=""
for r in $(seq "$ROUNDS"); do
    RCLI flushall >/dev/null
    RCLI xgroup create ota:jobs otagw 0 MKSTREAM >/dev/null
    RCLI config resetstat >/dev/null
    t0=$(cpu_ticks "$REDIS_PID")
    out=$(RCLI --pipe <"$TMP/cmds.resp" 2>&1)
    t1=$(cpu_ticks "$REDIS_PID")
    errors=$(awk '/errors:/ { gsub(",", "", $2); print $2 }' <<<"$out")
    replies=$(awk '/replies:/ { print $NF }' <<<"$out")
    ok "round $r: redis answered all $((N * 28)) commands without an error (errors $errors, replies $replies)" \
        test "$errors" = 0 -a "$replies" = $((N * 28))
    us=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    all="$all $us"
    if [ -z "$best" ] || awk -v a="$us" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$us; fi
done
awk -v us="$best" -v all="$all" -v n="$N" 'BEGIN {
    printf "floor: %d jobs, 27 commands each (+ the enqueue), plain commands in one pipeline\n", n
    printf "floor: redis-server CPU per job, each round:%s us\n", all
    printf "floor: the least, %.1f us -> at most %.0f jobs/s from Redis alone on one core\n", us, 1e6 / us
    printf "floor: 20,000 jobs/s on 2 cores leaves 50 us of Redis per job (one core), 100 us for all processes\n"
}'
echo "floor: the last round, by command (INFO commandstats; wall time inside Redis):"
RCLI info commandstats | tr -d '\r' | awk -F'[:,=]' -v n="$N" '
    /^cmdstat_/ && $3 >= n / 100 { sub("cmdstat_", "", $1); printf "floor: %-10s %6.2f calls/job %6.2f us/job\n", $1, $3 / n, $5 / n }' |
    sort -k5 -rn
done_testing
