#!/usr/bin/env bash
# security_redis.sh — Redis with a password: the right one works (jobs run
# end to end over an authenticated connection, requirepass); a wrong or
# missing one is a clear start-up error naming the server, and otagw exits
# instead of running blind.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh
. tests/chaos/mini.sh

mini_setup || { echo "not ok - setup"; exit 1; }
ok "right password: otagw starts" mini_gw_start
mini_jobs 10
ok "right password: jobs end" mini_wait_open 0 60
kill -TERM "$MINI_GW"
wait "$MINI_GW" 2>/dev/null

refused() { # config -> exit status non-zero within 10 s, clear line
    timeout 10 "$OTAGW" -c "$1" >"$TMP/refused.out" 2>&1
    local rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
        grep -qiE 'auth|password|WRONGPASS|NOAUTH' "$TMP/refused.out" &&
        grep -qF "127.0.0.1:$REDIS_PORT" "$TMP/refused.out" ||
        { echo "exit $rc"; cat "$TMP/refused.out"; return 1; }
}
MINI_CONF_REDIS_PASS=wrong-password mini_config "$M/wrong.conf"
ok "wrong password: clear start-up error, exit" refused "$M/wrong.conf"
ok "the wrong password is not echoed" bash -c "! grep -qF wrong-password '$TMP/refused.out'"
MINI_CONF_REDIS_PASS= mini_config "$M/none.conf"
ok "no password: clear start-up error, exit" refused "$M/none.conf"
done_testing
