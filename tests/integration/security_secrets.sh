#!/usr/bin/env bash
# security_secrets.sh — key material and passwords never leave otagw.
#
#   1. The keystore is refused when group- or world-readable (start-up and
#      --check-config), with a line naming the mode.
#   2. A run with debug logging: every log line of otagw, every event, and
#      every Redis key and value written (the AOF holds every write) is
#      grepped for the run's secrets: the hex of every key in both cases,
#      the carrier password and the Redis password. None is found.
#   3. --check-config masks the passwords.
# The check that keys are wiped from memory at exit is
# tests/integration/security_keywipe.sh.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh
. tests/chaos/mini.sh

mini_setup || { echo "not ok - setup"; exit 1; }

# 1. Keystore permissions.
refused_with_mode() {
    chmod "$1" "$M/keys.ini"
    local out rc
    out=$("$OTAGW" -c "$M/otagw.conf" --check-config 2>&1)
    rc=$?
    chmod 600 "$M/keys.ini"
    [ "$rc" -ne 0 ] && grep -qiE 'group|other|mode|permission' <<<"$out" || {
        echo "exit $rc: $out"
        return 1
    }
}
ok "keystore mode 640 refused" refused_with_mode 640
ok "keystore mode 604 refused" refused_with_mode 604
ok "keystore mode 600 accepted" "$OTAGW" -c "$M/otagw.conf" --check-config
chmod 644 "$M/keys.ini"
"$OTAGW" -c "$M/otagw.conf" >"$TMP/refused.log" 2>&1
rc=$?
chmod 600 "$M/keys.ini"
ok "the daemon will not start on a readable keystore" test "$rc" -ne 0
ok "check-config masks the passwords" bash -c "! '$OTAGW' -c '$M/otagw.conf' --check-config |
    grep -qF -e '$MINI_REDIS_PASS' -e '$MINI_SMPP_PASS'"

# 2. A real run, then grep everything it wrote.
ok "otagw starts" mini_gw_start
mini_jobs 40
ok "every job ends" mini_wait_open 0 60
kill -TERM "$MINI_GW"
wait "$MINI_GW" 2>/dev/null
MRCLI XRANGE ota:events - + >"$TMP/events.txt"
"$OTAGW" -c "$M/otagw.conf" --check-config >"$TMP/check.txt" 2>&1
mini_secrets >"$TMP/secrets.txt"
ok "secrets of the run known ($(wc -l <"$TMP/secrets.txt") strings)" test "$(wc -l <"$TMP/secrets.txt")" -ge 10
ok "the run did work (events written)" test "$(grep -c '^confirmed$' "$TMP/events.txt")" -gt 10
ok "debug log written" test "$(wc -l <"$TMP/otagw.log")" -gt 50
no_secret_in() {
    local hits
    hits=$(grep -aF -f "$TMP/secrets.txt" "$@")
    [ -z "$hits" ] || { echo "$hits" | head -5; return 1; }
}
ok "no secret in otagw's log" no_secret_in "$TMP/otagw.log" "$TMP/refused.log"
ok "no secret in the events" no_secret_in "$TMP/events.txt"
# The AOF holds every command that wrote: keys, fields and values. The
# password is only in Redis's own config, never in a write.
ok "no secret in any Redis key or value (AOF)" no_secret_in -r "$M/redis"
ok "no secret in --check-config" no_secret_in "$TMP/check.txt"

done_testing
