#!/bin/bash
# Deadlines: jobs nobody heard about end `expired`, claimed by one scanner
# only, although two instances scan the same ZSET at the same time.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT
card "$ICCID1"
agent s1 --name s1 --scan-ms 50 --batch 2 --run-ms 4000 &
p1=$!
agent s2 --name s2 --scan-ms 50 --batch 2 --run-ms 4000 &
p2=$!
wait_for 5 grep -q 'LINK up' "$TMP/s1.out"
wait_for 5 grep -q 'LINK up' "$TMP/s2.out"
for i in $(seq 1 40); do apdu_job "e-$i" validity 1; done
wait $p1 $p2
ok "all 40 sent (submitted) by the two instances" \
    test "$(cat "$TMP/s1.out" "$TMP/s2.out" | grep -c '^READY e-')" = 40
ok "both instances took work" bash -c "grep -q '^READY' $TMP/s1.out && grep -q '^READY' $TMP/s2.out"
n=0
for i in $(seq 1 40); do
    [ "$(state "e-$i")" = expired ] && [ "$(nevents "e-$i" expired)" = 1 ] && n=$((n + 1))
done
ok "40 jobs expired, each with exactly one expired event" test "$n" = 40
ok "each expiry claimed by one scanner" \
    test "$(cat "$TMP/s1.out" "$TMP/s2.out" | grep -c '^FINAL e-.* expired')" = 40
ok "deadline set emptied" test "$(R zcard ota:deadlines)" = 0
ok "expired detail says from which state" \
    bash -c "redis-cli -p $REDIS_PORT hget ota:job:e-1 detail | grep -q 'last state submitted'"
done_testing
