#!/usr/bin/env bash
# check_config.sh — `otagw --check-config` on the shipped configuration and
# on broken ones: exit 0 and the effective configuration with secrets
# masked, or exit 2 and one line naming file:line.
. tests/lib/harness.sh
OTAGW=${SAN_BUILD}/otagw
[ -x "$OTAGW" ] || OTAGW=${BUILD}/otagw

# git keeps no 0600: give the shipped test keystore the mode a real one has.
chmod 600 conf/keystore.example

out=$TMP/out
err=$TMP/err
run() { "$OTAGW" "$@" >"$out" 2>"$err"; echo $? >"$TMP/rc"; }
rc() { cat "$TMP/rc"; }

run -c conf/otagw.conf --check-config
ok "shipped conf/otagw.conf passes --check-config (exit 0)" test "$(rc)" = 0
ok "output ends with 'configuration ok'" grep -q '^# configuration ok$' "$out"
ok "carrier passwords are masked" grep -q '^password = \*\*\*\*\*\*\*\*$' "$out"
ok "no password in clear" bash -c "! grep -Eq '= (secret|brpass|trpass)$' '$out'"
ok "keysets listed with KIc/KID octets" grep -q 'keyset test-3des: spi 1621, kic 3des2 kvn 1 (KIc 15)' "$out"
ok "no key bytes printed" bash -c "! grep -q '000102030405' '$out'"
ok "local-only country without carrier noted" grep -q 'note: CN is local-only' "$out"

# The printed configuration is itself a configuration that passes.
sed '/^# keystore/,$d' "$out" >"$TMP/printed.conf"
cp conf/e164.csv "$TMP/e164.csv"
run -c "$TMP/printed.conf" --check-config
ok "printed configuration loads again" test "$(rc)" = 0

# Broken configurations: exit 2, one line on stderr, naming file:line.
mkdir -p "$TMP/b"
cp conf/e164.csv "$TMP/b/e164.csv"
cp conf/keystore.example "$TMP/b/keys"
chmod 600 "$TMP/b/keys"
base='[gateway]
keystore = keys
[carrier a]
host = 127.0.0.1
system_id = sys'
one_line_matching() { [ "$(wc -l <"$err")" = 1 ] && grep -Eq "$1" "$err"; }
broken() { # name, extra lines, expected stderr pattern
    printf '%s\n%s\n' "$base" "$2" >"$TMP/b/$1.conf"
    run -c "$TMP/b/$1.conf" --check-config
    ok "$1: exit 2" test "$(rc)" = 2
    ok "$1: one line naming file:line" one_line_matching "$3"
}
broken unknown-key 'windw = 5' "^otagw: .*/unknown-key.conf:6: unknown key 'windw' in \[carrier a\]$"
broken range 'window = 0' "range.conf:6: 'window' = 0 is out of range"
broken bad-enum 'bind = both' "bad-enum.conf:6: 'bind' must be one of trx, tx\+rx"
broken dup-carrier '[carrier a]' "dup-carrier.conf:6: duplicate carrier 'a' \(first on line 3\)"
broken route-unknown "[route]
default = a
BR = a, zz" "route-unknown.conf:8: route BR names unknown carrier 'zz'"
broken bad-country '[policy]
XX = local-only' "bad-country.conf:7: 'XX' is not an ISO 3166-1 alpha-2"

# The keystore: refused when group/others may read it, and its errors name
# its own file:line.
printf '%s\n' "$base" >"$TMP/b/ok.conf"
chmod 644 "$TMP/b/keys"
run -c "$TMP/b/ok.conf" --check-config
ok "keystore mode 0644 refused (exit 2)" test "$(rc)" = 2
ok "keystore mode error names the mode" grep -q 'keys: mode 0644 lets group or others access it' "$err"
printf '[keyset a]\nkic = 3des2:0011\nkic_kvn = 1\n' >"$TMP/b/keys"
chmod 600 "$TMP/b/keys"
run -c "$TMP/b/ok.conf" --check-config
ok "keystore key length error names keys:2" grep -q 'keys:2: kic 3des2 needs a 16-octet key, this one has 2' "$err"
cp conf/keystore.example "$TMP/b/keys"
printf '1,US\n1,CA\n' >"$TMP/b/e164.csv"
run -c "$TMP/b/ok.conf" --check-config
ok "E.164 table error names e164.csv:2 (exit 2)" bash -c "test $(rc) = 2 && grep -q 'e164.csv:2: prefix 1 already given on line 1' '$err'"
cp conf/e164.csv "$TMP/b/e164.csv"

# Without --check-config the daemon runs (tests/integration/e2e_*.sh); with
# no Redis to talk to it refuses to start: exit 1, a line naming the server.
NOREDIS=$(free_port)
printf '%s\n[redis]\nport = %s\n' "$base" "$NOREDIS" >"$TMP/b/noredis.conf"
run -c "$TMP/b/noredis.conf"
ok "daemon without Redis: exit 1 naming the server" bash -c "test $(rc) = 1 && grep -q \"cannot start: .*127.0.0.1:$NOREDIS\" '$err'"

run --version
ok "--version" bash -c "test $(rc) = 0 && grep -q '^otagw ' '$out'"
run --help
ok "--help" bash -c "test $(rc) = 0 && grep -q 'check-config' '$out'"
run
ok "no -c: usage error (exit 1)" test "$(rc)" = 1
run -c "$TMP/nonexistent.conf" --check-config
ok "missing file: exit 2" bash -c "test $(rc) = 2 && grep -q 'nonexistent.conf: cannot open' '$err'"

done_testing
