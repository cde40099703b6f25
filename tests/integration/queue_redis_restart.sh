#!/bin/bash
# Redis restarting under a running instance: it keeps running, stops taking
# work, reconnects with back-off; outcomes of held jobs made while Redis is
# down are replayed, receipts/PoRs get an error callback, nothing is lost.
. tests/lib/harness.sh
. tests/lib/queue.sh
RARGS=(--appendonly yes --appendfsync always)
start_redis "${RARGS[@]}"
export REDIS_PORT
card "$ICCID1"
spawn a "$AGENT" --hold-ms 600000 --deliver --scan-ms 200 --run-ms 60000
wait_for 5 grep -q 'LINK up' "$TMP/a.log"
for i in $(seq 1 20); do apdu_job "d-$i"; done
wait_for 5 test "$(grep -c '^READY' "$TMP/a.log")" = 20
kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
kill -USR1 "$a_PID" # the held jobs' outcomes, while Redis is down
sleep 1
spawn redis2 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' \
    --daemonize no "${RARGS[@]}"
wait_for 5 redis-cli -p "$REDIS_PORT" ping
ok "instance saw the link go down" grep -q '^LINK down' "$TMP/a.log"
ok "and come back" wait_for 10 bash -c "[ \$(grep -c '^LINK up' $TMP/a.log) = 2 ]"
ok "receipts while down: error callback, not silence" \
    grep -q '^RECEIPT - Transport endpoint is not connected' "$TMP/a.log"
ok "held outcomes replayed: all 20 submitted" \
    wait_for 10 bash -c "for i in \$(seq 1 20); do [ \"\$(redis-cli -p $REDIS_PORT hget ota:job:d-\$i state)\" = submitted ] || exit 1; done"
ok "each submitted event exactly once" \
    test "$(for i in $(seq 1 20); do nevents "d-$i" submitted; done | sort -u)" = 1
for i in $(seq 1 10); do apdu_job "n-$i"; done
wait_for 10 bash -c "[ \$(grep -c '^READY n-' $TMP/a.log) = 10 ]"
kill -USR1 "$a_PID"
ok "work after the restart flows end to end" \
    wait_for 10 bash -c "for i in \$(seq 1 10); do [ \"\$(redis-cli -p $REDIS_PORT hget ota:job:n-\$i state)\" = confirmed ] || exit 1; done"
ok "nothing pending" test "$(R xpending ota:jobs otagw | head -1)" = 0
done_testing
