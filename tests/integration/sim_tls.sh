#!/bin/bash
# otasim serving SMPP over TLS (a throwaway self-signed certificate): the
# test ESME binds through TLS and gets its receipt; a plain-TCP client on
# the TLS port does not get a bind answer.
. tests/lib/harness.sh
SIM=$BUILD/otasim
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 1 -subj /CN=otasim >/dev/null 2>&1 || { echo "not ok - openssl req"; exit 1; }
printf '[card 8944000000000000001]\nmsisdn = 447700900001\n' >"$TMP/cards.ini"
P=$(free_port)
spawn sim "$SIM" --cards "$TMP/cards.ini" --listen "127.0.0.1:$P" \
    --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --receipt-delay-ms 10
wait_port "$P" || { echo "not ok - otasim did not start"; cat "$TMP/sim.log"; exit 1; }
"$SIM" --client "127.0.0.1:$P" --tls --submit 447700900001:00 --expect 1 --wait-ms 2000 >"$TMP/tls.out" 2>&1
ok "TLS handshake" grep -q '^tls TLSv1' "$TMP/tls.out"
ok "bind over TLS" grep -qx 'bind status=0' "$TMP/tls.out"
ok "receipt over TLS" grep -q '^deliver .*esm=04 .*stat:DELIVRD' "$TMP/tls.out"
timeout 3 "$SIM" --client "127.0.0.1:$P" >"$TMP/plain.out" 2>&1
ok "plain TCP on the TLS port is not bound" sh -c "! grep -qx 'bind status=0' '$TMP/plain.out'"
done_testing
