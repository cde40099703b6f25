#!/bin/bash
# Leases between instances (docs/queue.md "Leases"), with the stand-in
# daemon: an instance that holds jobs for many lease lengths while it lives
# keeps every one of them (it renews their leases; a competitor scanning
# every 200 ms never takes one), loses them at once when it is killed, and
# hands them over without the claim wait when it stops cleanly.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT
card "$ICCID1"
T="--lease-ms 1500 --claim-idle-ms 2000 --scan-ms 200"

# --- a live holder keeps its jobs -----------------------------------------
for i in $(seq 1 10); do apdu_job "l-$i"; done
spawn holder "$AGENT" --name holder --outcome hold $T --run-ms 60000
wait_for 10 bash -c "[ \$(grep -c '^READY' $TMP/holder.log) = 10 ]"
ok "holder took the 10 jobs" test "$(grep -c '^READY' "$TMP/holder.log")" = 10
# 6 s = 4 leases, 3 claim_idle: without renewal all 10 would move.
spawn rival "$AGENT" --name rival --outcome submitted $T --run-ms 60000
sleep 6
ok "while the holder lives, the rival takes none of its jobs" \
    test "$(grep -c '^READY' "$TMP/rival.log")" = 0
ok "... all 10 still on attempt 1, leased to the holder" \
    test "$(for i in $(seq 1 10); do R hmget "ota:job:l-$i" attempt lease_owner; done | paste -sd' ' |
        tr ' ' '\n' | paste - - | awk '$1 == 1 && $2 ~ /^holder-/' | wc -l)" = 10
ok "... their leases run into the future (renewed)" \
    test "$(for i in $(seq 1 10); do R hget "ota:job:l-$i" lease_until; done |
        awk -v now="$(R time | head -1)000" '$1 > now' | wc -l)" = 10
ok "... their entries are pending for the holder, idle less than claim_idle" \
    test "$(R xpending ota:jobs otagw - + 100 | paste - - - - | awk '$2 ~ /^holder-/ && $3 < 2000' | wc -l)" = 10
ok "the holder logged no lease lost" bash -c "! grep -q 'lease lost' '$TMP/holder.log'"

# --- killed: the rival takes them over -------------------------------------
t0=$(date +%s%3N)
kill -9 "$holder_PID"
ok "killed holder: the rival takes all 10 over" \
    wait_for 10 bash -c "[ \$(grep -c '^READY' $TMP/rival.log) = 10 ]"
t1=$(date +%s%3N)
ok "... within claim_idle + scan + slack ($((t1 - t0)) ms <= 4000)" test $((t1 - t0)) -le 4000
ok "... on attempt 2, each once" \
    test "$(grep '^READY' "$TMP/rival.log" | awk '$3 == 2 {print $2}' | sort -u | wc -l)" = 10
submitted() { # submitted PREFIX N: jobs PREFIX1..N with exactly one submitted event
    for i in $(seq 1 "$2"); do [ "$(nevents "$1$i" submitted)" = 1 ] || return 1; done
}
ok "... all submitted, one submitted event each" wait_for 5 submitted l- 10
ok "no counter handed out twice" \
    test "$(cat "$TMP/holder.log" "$TMP/rival.log" | awk '/^READY/ {print $4}' | sort | uniq -d | wc -l)" = 0
kill "$rival_PID"
wait "$rival_PID" 2>/dev/null

# --- clean stop: released jobs go at the next scan, not after claim_idle --
for i in $(seq 1 5); do apdu_job "r-$i"; done
S="--lease-ms 1500 --claim-idle-ms 20000 --scan-ms 200"
spawn quitter "$AGENT" --name quitter --outcome hold $S --run-ms 60000
wait_for 10 bash -c "[ \$(grep -c '^READY r-' $TMP/quitter.log) = 5 ]"
kill -TERM "$quitter_PID" # clean exit: jobq_job_release for each held job
wait "$quitter_PID" 2>/dev/null
spawn heir "$AGENT" --name heir --outcome submitted $S --run-ms 60000
t0=$(date +%s%3N)
ok "released jobs: taken by the next instance without waiting claim_idle (20 s)" \
    wait_for 8 bash -c "[ \$(grep -c '^READY r-' $TMP/heir.log) = 5 ]"
t1=$(date +%s%3N)
ok "... in $((t1 - t0)) ms (< 8000)" test $((t1 - t0)) -lt 8000
ok "... each submitted once" wait_for 5 submitted r- 5
ok "nothing pending" wait_for 5 bash -c "[ \$(redis-cli -p $REDIS_PORT xpending ota:jobs otagw | head -1) = 0 ]"
done_testing
