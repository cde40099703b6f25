#!/bin/bash
# The harness itself: a private redis-server on a free port comes up,
# answers, and is gone after the script.
. tests/lib/harness.sh
start_redis
ok "private redis-server answers PING" test "$(redis-cli -p "$REDIS_PORT" ping)" = PONG
ok "it is ours: a key written is read back" \
    test "$(redis-cli -p "$REDIS_PORT" set otagw:smoke 1 >/dev/null && redis-cli -p "$REDIS_PORT" get otagw:smoke)" = 1
done_testing
