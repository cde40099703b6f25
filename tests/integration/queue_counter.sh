#!/bin/bash
# CNTR allocation (TS 102 225 §5.1.1) in Redis: atomic across concurrent
# clients, never reused, never reaching FFFFFFFFFF; a counter-low PoR
# re-synchronises once; blocked is final.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT

# Two clients, 500 counters each, at the same time.
agent c1 --counters 500 "$ICCID1" ks1 &
p1=$!
agent c2 --counters 500 "$ICCID1" ks1 &
p2=$!
wait $p1 $p2
cat "$TMP/c1.out" "$TMP/c2.out" | awk '/^COUNTER/ {print $2}' | sort -n >"$TMP/all"
ok "1000 counters handed out" test "$(wc -l <"$TMP/all")" = 1000
ok "none given twice" test "$(uniq -d "$TMP/all" | wc -l)" = 0
ok "exactly 1..1000 (atomic INCR, nothing lost)" test "$(head -1 "$TMP/all") $(tail -1 "$TMP/all")" = "1 1000"
ok "both clients were served" bash -c "grep -q '^COUNTER [0-9]' $TMP/c1.out && grep -q '^COUNTER [0-9]' $TMP/c2.out"
ok "per card and keyset: another keyset starts at 1" \
    bash -c "$AGENT --counters 1 $ICCID1 ks2 | grep -q '^COUNTER 1$'"

# The top of the range: FFFFFFFFFE is the last value ever handed out.
R set "ota:cntr:$ICCID1:top" 1099511627773 >/dev/null
agent top --counters 3 "$ICCID1" top
ok "FFFFFFFFFE handed out" grep -q '^COUNTER 1099511627774$' "$TMP/top.out"
ok "then blocked, twice" test "$(grep -c '^COUNTER BLOCKED' "$TMP/top.out")" = 2
ok "FFFFFFFFFF never stored" test "$(R get "ota:cntr:$ICCID1:top")" = 1099511627774

# A job whose card keyset is exhausted fails with a reason, nothing sent.
card "$ICCID1" top uicc
apdu_job j-top
agent a1 --run-ms 800
ok "exhausted counter: job failed" test "$(state j-top)" = failed
ok "exhausted counter: reason" bash -c "redis-cli -p $REDIS_PORT hget ota:job:j-top detail | grep -q 'counter of card .* exhausted'"
ok "exhausted counter: not handed out" bash -c "! grep -q '^READY j-top' $TMP/a1.out"

# A retry gets a fresh counter; PoR "counter low" jumps ahead once.
card "$ICCID1" ks1 uicc
apdu_job j-low
agent a2 --run-ms 800
c1=$(R hget ota:job:j-low counter)
before=$(R get "ota:cntr:$ICCID1:ks1")
ok "PoR 02 counter low: retry scheduled" \
    test "$("$AGENT" --por $MSISDN1 b00010 "$c1" 2 | tail -1)" = "POR j-low retry"
ok "counter jumped by the resync step (256)" \
    test "$(R get "ota:cntr:$ICCID1:ks1")" = $((before + 256))
ok "resync recorded in the events" \
    bash -c "REDIS_PORT=$REDIS_PORT; $(declare -f R details); details j-low retry | grep -q 'counter low; counter $before -> $((before + 256))'"
agent a3 --run-ms 1500 --scan-ms 200
c2=$(R hget ota:job:j-low counter)
ok "attempt 2 sent with a fresh, higher counter" \
    bash -c "grep -q '^READY j-low 2 ' $TMP/a3.out && [ $c2 -gt $((before + 256)) ]"
ok "a second counter low fails the job" \
    test "$("$AGENT" --por $MSISDN1 b00010 "$c2" 2 | tail -1)" = "POR j-low failed"
ok "state failed, with the reason" \
    bash -c "redis-cli -p $REDIS_PORT hget ota:job:j-low detail | grep -q 'already re-synchronised once'"

apdu_job j-blk
agent a4 --run-ms 800
ok "PoR 04 counter blocked: failed (final)" \
    test "$("$AGENT" --por $MSISDN1 b00010 "$(R hget ota:job:j-blk counter)" 4 | tail -1)" = "POR j-blk failed"
ok "blocked is final: no retry scheduled" test "$(R zscore ota:retry j-blk)" = ""
done_testing
