#!/bin/bash
# kill -9 mid-batch: the dead instance's pending entries are reclaimed
# (XAUTOCLAIM after claim_idle) by the survivors, resumed from their recorded
# state with a fresh counter, and sent once more — by one instance only,
# although two survivors compete for them (lease taken atomically).
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT
card "$ICCID1"
for i in $(seq 1 30); do apdu_job "k-$i"; done
T="--lease-ms 1000 --claim-idle-ms 1500 --scan-ms 200"
spawn victim "$AGENT" --name victim --outcome hold --max-inflight 10 $T --run-ms 60000
wait_for 10 test "$(grep -c '^READY' "$TMP/victim.log" 2>/dev/null)" = 10
kill -9 "$victim_PID"
wait "$victim_PID" 2>/dev/null
ok "victim held 10 jobs (back-pressure at max_inflight)" test "$(grep -c '^READY' "$TMP/victim.log")" = 10
ok "its 10 entries are pending in the group" test "$(R xpending ota:jobs otagw | head -1)" = 10

agent b --name b --outcome submitted $T --run-ms 5000 &
pb=$!
agent c --name c --outcome submitted $T --run-ms 5000 &
pc=$!
wait $pb $pc
cat "$TMP/b.out" "$TMP/c.out" >"$TMP/bc"
n=0
for i in $(seq 1 30); do
    [ "$(state "k-$i")" = submitted ] && [ "$(nevents "k-$i" submitted)" = 1 ] && n=$((n + 1))
done
ok "all 30 jobs submitted, each exactly once" test "$n" = 30
ok "each job handed out once among the survivors" test "$(grep '^READY' "$TMP/bc" | cut -d' ' -f2 | sort | uniq -d | wc -l)" = 0
ok "the victim's 10 resumed on attempt 2" \
    test "$(grep '^READY' "$TMP/victim.log" | cut -d' ' -f2 | while read -r k; do grep -c "^READY $k 2 " "$TMP/bc"; done | paste -sd+ | bc)" = 10
ok "no counter ever reused" \
    test "$(cat "$TMP/victim.log" "$TMP/bc" | awk '/^READY/ {print $4}' | sort | uniq -d | wc -l)" = 0
ok "nothing left pending" test "$(R xpending ota:jobs otagw | head -1)" = 0
ok "no lease left behind" \
    test "$(for i in $(seq 1 30); do R hexists "ota:job:k-$i" lease_owner; done | grep -c 1)" = 0
done_testing
