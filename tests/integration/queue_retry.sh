#!/bin/bash
# Retries: transient failures wait in the ota:retry ZSET with back-off and a
# fresh counter; the schedule survives the instance's restart; max_attempts
# ends in failed; an unknown outcome waits for a PoR before it is retried.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT
card "$ICCID1"
for i in $(seq 1 10); do apdu_job "r-$i"; done
agent a1 --outcome transient --retry-ms 1500 --run-ms 700
ok "attempt 1 of all 10 failed transiently" test "$(grep -c '^DONE r-.* failed retry' "$TMP/a1.out")" = 10
ok "10 retries scheduled in redis" test "$(R zcard ota:retry)" = 10
ok "state retry with the reason" \
    bash -c "redis-cli -p $REDIS_PORT hget ota:job:r-1 detail | grep -q 'ESME_RTHROTTLED.*attempt 2 due at'"
ok "stream entries acknowledged (the retry set holds them now)" \
    test "$(R xpending ota:jobs otagw | head -1)" = 0
# The first instance is gone; a new one (new consumer name) picks them up when due.
agent a2 --outcome submitted --scan-ms 100 --run-ms 3000
ok "all 10 retried after the restart" test "$(grep -c '^READY r-[0-9]* 2 ' "$TMP/a2.out")" = 10
ok "all 10 submitted on attempt 2" \
    bash -c "for i in \$(seq 1 10); do [ \"\$(redis-cli -p $REDIS_PORT hget ota:job:r-\$i state)\" = submitted ] || exit 1; done"
ok "fresh counter on attempt 2" \
    bash -c "c1=\$(grep '^READY r-1 1 ' $TMP/a1.out | cut -d' ' -f4); c2=\$(grep '^READY r-1 2 ' $TMP/a2.out | cut -d' ' -f4); [ \$c2 -gt \$c1 ]"
ok "retry set emptied" test "$(R zcard ota:retry)" = 0

# max_attempts: 2 attempts, both transient -> failed.
apdu_job r-max
agent a3 --outcome transient --retry-ms 100 --max-attempts 2 --scan-ms 50 --run-ms 1500
ok "max_attempts reached: failed" test "$(state r-max)" = failed
ok "two attempts made" test "$(grep -c '^READY r-max ' "$TMP/a3.out")" = 2
ok "reason says it gave up" bash -c "redis-cli -p $REDIS_PORT hget ota:job:r-max detail | grep -q 'gave up after 2 attempt'"

# Permanent failure: failed at once, no retry.
apdu_job r-perm
agent a4 --outcome permanent --run-ms 600
ok "permanent submit failure: failed, no retry" \
    bash -c "[ \"\$(redis-cli -p $REDIS_PORT hget ota:job:r-perm state)\" = failed ] && [ -z \"\$(redis-cli -p $REDIS_PORT zscore ota:retry r-perm)\" ]"

# Unknown outcome, reconciled by a PoR before the retry is due.
apdu_job r-unk
agent a5 --outcome unknown --reconcile-ms 60000 --run-ms 600
ok "unknown outcome: waiting, retry due after the reconcile time" \
    bash -c "[ \"\$(redis-cli -p $REDIS_PORT hget ota:job:r-unk state)\" = retry ] && [ -n \"\$(redis-cli -p $REDIS_PORT zscore ota:retry r-unk)\" ]"
ok "a PoR for the unanswered attempt confirms it" \
    test "$("$AGENT" --por $MSISDN1 b00010 "$(R hget ota:job:r-unk counter)" 0 | tail -1)" = "POR r-unk confirmed"
ok "and nothing is retried" test "$(R zscore ota:retry r-unk)" = ""
# Unknown outcome without a PoR: retried once the reconcile time is over.
apdu_job r-unk2
agent a6 --outcome unknown --reconcile-ms 300 --run-ms 500
agent a7 --outcome submitted --scan-ms 100 --run-ms 1200
ok "unknown outcome, no PoR: attempt 2 after the reconcile time" grep -q '^READY r-unk2 2 ' "$TMP/a7.out"
ok "then submitted" test "$(state r-unk2)" = submitted
# Unknown outcome of a packet of two SMs, the first answered in time: its id
# is mapped with the unknown outcome, the second's comes late
# (jobq_late_submitted); both receipts settle the job, no retry.
apdu_job r-unk3
agent a8 --outcome unknown2 --deliver --reconcile-ms 60000 --run-ms 600
ok "two SMs: the unknown outcome is recorded" grep -q '^DONE r-unk3 unknown retry' "$TMP/a8.out"
ok "... the first SM's receipt finds the job (partial)" grep -q '^RECEIPT r-unk3 partial' "$TMP/a8.out"
ok "... the second SM's late id is mapped" grep -q '^LATE r-unk3 mapped' "$TMP/a8.out"
ok "... its receipt settles the job" grep -q '^RECEIPT r-unk3 delivered' "$TMP/a8.out"
ok "... delivered, both SMs, no retry left" \
    test "$(R hmget ota:job:r-unk3 state segments seg_ok unknown | tr '\n' ' ')$(R zscore ota:retry r-unk3)" = "delivered 2 3  "
ok "... the delivered event says so" \
    grep -q 'settles the unknown outcome, no retry' <<<"$(R hget ota:job:r-unk3 detail)"
done_testing
