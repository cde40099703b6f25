#!/usr/bin/env bash
# security_tls.sh — SMPP over TLS between the real otagw and otasim
# --tls-cert, with a throwaway test CA (tests/lib/pki.sh):
#   - the SMSC's certificate does not verify against tls_ca: no bind, and
#     otagw's log says why ("TLS handshake failed: certificate: unable to
#     get local issuer certificate");
#   - the certificate is for another name (tls_server_name): no bind,
#     "certificate: hostname mismatch";
#   - the right CA: bound over TLS, jobs confirmed;
#   - no fallback: a carrier with tls = yes whose server speaks plain SMPP
#     never binds (no bind PDU reaches that server), and tls = no does not
#     talk plain SMPP to a TLS server either; plain TCP works only with
#     tls = no against a plain server.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh
. tests/lib/pki.sh
P=$TMP/pki
pki_make "$P" || { echo "not ok - test CA (openssl)"; cat "$P/pki.log"; exit 1; }
MINI_SIM_ARGS="--tls-cert $P/smsc.pem --tls-key $P/smsc.key"
. tests/chaos/mini.sh
mini_setup || { echo "not ok - setup"; exit 1; }

# The same carrier account on a plain (no TLS) otasim.
PLAIN_PORT=$(free_port)
PLAIN_CTL=$(free_port)
spawn plain "$OTASIM" --cards "$M/cards.ini" --keys "$M/keys.ini" \
    --listen "127.0.0.1:$PLAIN_PORT" --account "hub:otagwmini:$MINI_SMPP_PASS" --control "$PLAIN_CTL"
wait_port "$PLAIN_PORT" 10 || { echo "not ok - plain otasim"; exit 1; }

# gw_try NAME PORT CARRIER_LINES: otagw for 3 s against PORT; its log in
# $TMP/NAME.log (reconnect_min 200 ms: a dozen attempts).
gw_try() {
    local conf=$M/$1.conf
    MINI_CARRIER_EXTRA=$3 mini_config "$conf"
    sed -i "s/^port = $SIM_PORT\$/port = $2/" "$conf"
    "$OTAGW" -c "$conf" >"$TMP/$1.log" 2>&1 &
    local pid=$!
    PIDS="$PIDS $pid"
    sleep 3
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
has() { grep -qF -- "$2" "$TMP/$1.log" || { echo "$1: no '$2' in otagw's log:"; tail -n 15 "$TMP/$1.log"; return 1; }; }
never_bound() {
    ! grep -q -- '-> BOUND' "$TMP/$1.log" || { grep -- '-> BOUND' "$TMP/$1.log" | head -3; return 1; }
}
# bind requests an otasim understood (accepted or refused), from its
# control port's stats
sim_binds() {
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    echo stats >&3
    timeout 3 sed '/^\.$/q; /^ok$/q; /^error/q' <&3 |
        awk '$1 == "smsc.binds" || $1 == "smsc.binds_refused" { n += $2 } END { print n + 0 }'
    exec 3<&-
}
no_bind_pdu() { # CTL: no bind request reached that server
    local n
    n=$(sim_binds "$1")
    [ "$n" = 0 ] || { echo "otasim on control port $1 saw $n bind request(s)"; return 1; }
}

gw_try wrongca "$SIM_PORT" "tls = yes
tls_ca = $P/other.pem"
ok "CA that did not sign the SMSC's certificate: never bound" never_bound wrongca
ok "... log says TLS handshake failed: certificate: unable to get local issuer certificate" \
    has wrongca "TLS handshake failed: certificate: unable to get local issuer certificate"
ok "... and it retried (several refusals, none accepted)" \
    test "$(grep -c 'TLS handshake failed' "$TMP/wrongca.log")" -ge 2
ok "... no bind PDU reached the SMSC" no_bind_pdu "$SIM_CTL"

gw_try wrongname "$SIM_PORT" "tls = yes
tls_ca = $P/ca.pem
tls_server_name = smsc.example.org"
ok "certificate for another name: never bound" never_bound wrongname
ok "... log says certificate: hostname mismatch" has wrongname "TLS handshake failed: certificate: hostname mismatch"
ok "... no bind PDU reached the SMSC" no_bind_pdu "$SIM_CTL"

gw_try nofallback "$PLAIN_PORT" "tls = yes
tls_ca = $P/ca.pem"
ok "tls = yes, server speaks plain SMPP: never bound" never_bound nofallback
ok "... log says the TLS handshake failed" has nofallback "TLS handshake failed"
ok "... no plain bind PDU reached the plain server" no_bind_pdu "$PLAIN_CTL"

gw_try plainontls "$SIM_PORT" "tls = no"
ok "tls = no against a TLS server: never bound" never_bound plainontls
ok "... no bind PDU was understood by the TLS server" no_bind_pdu "$SIM_CTL"

gw_try plain "$PLAIN_PORT" "tls = no"
ok "tls = no against a plain server: bound (plain TCP only here)" has plain "-> BOUND"
ok "... the plain server saw it (the bind-count check can fail)" test "$(sim_binds "$PLAIN_CTL")" -ge 1

# The right CA, name from host (127.0.0.1, in the certificate's SAN).
MINI_CARRIER_EXTRA="tls = yes
tls_ca = $P/ca.pem" mini_config "$M/otagw.conf"
ok "right CA: otagw binds over TLS and takes jobs" mini_gw_start
ok "... the handshake is logged (TLSv1.2 or 1.3)" grep -qE 'TLS TLSv1\.[23] ' "$TMP/otagw.log"
ok "... the SMSC saw the bind" test "$(sim_binds "$SIM_CTL")" -ge 1
mini_jobs 10
ok "... jobs end" mini_wait_open 0 60
n=$(MRCLI XRANGE ota:events - + | grep -cx confirmed)
ok "... jobs confirmed over TLS ($n)" test "$n" -ge 1
kill -TERM "$MINI_GW"
wait "$MINI_GW" 2>/dev/null
done_testing
