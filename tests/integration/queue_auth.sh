#!/bin/bash
# AUTH: requirepass and an ACL user both work; a wrong password is a clear
# start-up error, and the running daemon keeps retrying without taking work.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis --requirepass s3cret
export REDIS_PORT
RA() { redis-cli -p "$REDIS_PORT" --no-auth-warning -a s3cret "$@"; }
ok "requirepass: check passes" test "$("$AGENT" --check --password s3cret)" = ok
ok "wrong password: clear start-up error" \
    bash -c "! $AGENT --check --password nope >$TMP/w.out && grep -q 'redis 127.0.0.1:$REDIS_PORT: AUTH failed: WRONGPASS' $TMP/w.out"
ok "no password: says which setting is missing" \
    bash -c "! $AGENT --check >$TMP/n.out && grep -q 'NOAUTH.*set redis password' $TMP/n.out"
RA acl setuser otagw on '>pw2' '~ota:*' '&*' '+@all' >/dev/null
ok "ACL user: check passes" test "$("$AGENT" --check --user otagw --password pw2)" = ok
ok "ACL user, wrong password: error names the user" \
    bash -c "$AGENT --check --user otagw --password bad | grep -q 'AUTH as otagw failed: WRONGPASS'"
RA hset "ota:card:$ICCID1" keyset ks1 class uicc >/dev/null
RA xadd ota:jobs '*' id a-1 type apdu iccid "$ICCID1" msisdn "$MSISDN1" tar B00010 apdus 00A40000 >/dev/null
agent bad --password wrong --run-ms 1200
ok "running with a wrong password: never up, says why" \
    bash -c "! grep -q 'LINK up' $TMP/bad.out && grep -q WRONGPASS $TMP/bad.err"
ok "and took no work" test "$(RA hget ota:job:a-1 state)" = ""
agent good --user otagw --password pw2 --deliver --run-ms 1500
ok "ACL user: job confirmed end to end" test "$(RA hget ota:job:a-1 state)" = confirmed
done_testing
