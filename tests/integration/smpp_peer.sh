#!/usr/bin/env bash
# smpp_peer.sh — gateway/bind.c over real TCP against an independent SMPP
# implementation: the `smpp` package from npm, run as an SMSC by
# tests/peers/smsc.js, driven from our side by build/tools/smpp_drive.
# Each case starts a fresh SMSC on a free port with the behaviour it needs,
# runs the driver, stops the SMSC (it prints its findings as JSON) and
# checks both sides.
. tests/lib/harness.sh
. tests/lib/pki.sh

DRIVE=$SAN_BUILD/tools/smpp_drive
[ -x "$DRIVE" ] || DRIVE=$BUILD/tools/smpp_drive
PEERS=tests/peers

if [ ! -d "$PEERS/node_modules/smpp" ]; then
    (cd "$PEERS" && npm ci --no-audit --no-fund >/dev/null 2>&1) || {
        echo "not ok - npm ci in tests/peers (needs the npm registry)"
        exit 1
    }
fi

# smsc NAME [--opt=value...]: starts the SMSC, sets PORT
smsc() {
    local name=$1
    shift
    PORT=$(free_port)
    spawn "smsc_$name" node "$PEERS/smsc.js" --port="$PORT" "$@"
    SMSC_PID=$(eval echo "\$smsc_${name}_PID")
    wait_port "$PORT" 10 || { echo "# smsc $name did not listen"; cat "$TMP/smsc_$name.log"; }
}

# stop NAME: SIGTERM, wait for its JSON line into $TMP/NAME.json
stop() {
    kill -TERM "$SMSC_PID" 2>/dev/null
    wait "$SMSC_PID" 2>/dev/null
    grep '^{' "$TMP/smsc_$1.log" | tail -n 1 >"$TMP/$1.json"
}

# drive NAME args...: runs the driver, output in $TMP/NAME.out
drive() {
    local name=$1
    shift
    "$DRIVE" port="$PORT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$?
    # the driver is built with ASan + UBSan: any report makes it fail
    if [ "$rc" -ne 0 ] || grep -q 'Sanitizer' "$TMP/$name.err"; then
        echo "not ok - driver $name exited $rc"
        tail -n 30 "$TMP/$name.err" | sed 's/^/#   /'
        TAP_FAIL=1
    fi
}

# v NAME KEY: a driver figure
v() { sed -n "s/^$2=//p" "$TMP/$1.out"; }

# js NAME 'expression over s' : a check on the SMSC's findings
js() {
    node -e "const s=JSON.parse(require('fs').readFileSync('$TMP/$1.json','utf8'));
             if (!($2)) { console.error('failed: $2'); console.error(JSON.stringify(s).slice(0,1500)); process.exit(1); }"
}

eq() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }
ge() { [ "$1" -ge "$2" ] || { echo "expected >= $2, got '$1'"; return 1; }; }

show() { echo "# $1:"; sed 's/^/#   /' "$TMP/$1.out" | tr '\n' ' '; echo; tail -n 5 "$TMP/$1.err" | sed 's/^/#   /'; }

# 1. transceiver, window 5 filled and respected, text receipts, submit_sm_resp
#    ids in hex and receipt ids in decimal
smsc win --delay_ms=20 --window=5 --receipt=text --msgid=hex --receipt_id=dec
drive win n=200 window=5 msgid=hexdec receipts=200
stop win
ok "trx: 200 submits answered" eq "$(v win resp_ok)" 200
ok "trx: hex resp ids meet decimal text receipts" eq "$(v win matched)" 200
ok "trx: SMSC saw the window filled, never exceeded" js win 's.maxOutstanding === 5 && s.windowViolations === 0'
ok "trx: submit_sm fields (UDHI, PID 7F, DCS F6, receipt, validity, UDH 70)" js win 's.pduChecks > 0 && s.pduErrors.length === 0'
ok "trx: SMs reach the SMSC in queue order" js win 's.dests.every((d, i) => d === "49170" + String(i).padStart(7, "0"))'

# 2. transmitter + receiver, TLV receipts, decimal ids both sides
smsc txrx --delay_ms=5 --receipt=tlv --msgid=dec
drive txrx mode=txrx n=100 window=10 msgid=dec receipts=100
stop txrx
ok "tx+rx: both binds up" js txrx 's.bindModes.includes("tx") && s.bindModes.includes("rx")'
ok "tx+rx: TLV receipts on the receiver match submits on the transmitter" eq "$(v txrx matched)" 100

# 3. receipt before its submit_sm_resp, text + TLV, auto id format
smsc early --receipt=both --receipt_first=1 --msgid=hex --receipt_id=dec
drive early n=50 window=10 msgid=auto receipts=50
stop early
ok "receipt before submit_sm_resp still matches (auto ids)" eq "$(v early matched)" 50
ok "receipts came first" ge "$(v early early)" 1

# 4. enquire_link both ways, and a dead link found by a missed answer
smsc enq_in --enquire_ms=200
drive enq_in n=1 hold_s=1.5 enquire=30
stop enq_in
ok "SMSC's enquire_link answered" js enq_in 's.enquireRespFromEsme >= 5'
smsc enq_out
drive enq_out n=1 hold_s=3.5 enquire=1
stop enq_out
ok "idle link: our enquire_link sent" js enq_out 's.enquireFromEsme >= 2'
smsc enq_dead --ignore_enquire=1
drive enq_dead n=1 hold_s=4 enquire=1 timeout_ms=500
stop enq_dead
ok "unanswered enquire_link: reconnect" ge "$(v enq_dead reconnects)" 1
ok "unanswered enquire_link: SMSC saw a new bind" js enq_dead 's.binds >= 2'

# 5. ESME_RTHROTTLED honoured, order kept
smsc thr --throttle_every=7
drive thr n=60 window=1
stop thr
ok "throttled SMs resent and accepted" eq "$(v thr resp_ok)" 60
ok "throttle answers counted on both sides" js thr "s.throttled === $(v thr throttled) && s.throttled > 0"
ok "order kept across throttling" js thr 's.dests.every((d, i) => d === "49170" + String(i).padStart(7, "0"))'
smsc thr5 --throttle_every=5 --delay_ms=5
drive thr5 n=200 window=5
stop thr5
ok "throttling at window 5: every SM accepted exactly once" js thr5 'new Set(s.dests).size === 200 && s.dests.length === 200'

# 6. the SMSC drops the link with SMs in flight: rebind, hand back, resend
smsc drop --drop_after=30 --delay_ms=50
drive drop n=100 window=10
stop drop
ok "dropped link: rebound" js drop 's.binds >= 2 && s.drops === 1'
ok "dropped link: unanswered SMs handed back and resent" eq "$(v drop resubmits)" "$(v drop bounce_unanswered)"
ok "dropped link: all 100 end accepted, none twice" js drop 'new Set(s.dests).size === 100 && s.accepted === 100'
ok "dropped link: every SM has one outcome" eq "$(v drop resp_ok)" 100

# 7. TLS with a test CA; refusal when the certificate does not verify
pki_make "$TMP/pki" || cat "$TMP/pki/pki.log"
smsc tls --tls_key="$TMP/pki/smsc.key" --tls_cert="$TMP/pki/smsc.pem" --receipt=text
drive tls n=20 window=5 tls=1 tls_ca="$TMP/pki/ca.pem" tls_name=localhost receipts=20
stop tls
ok "TLS: bound with the SMSC verified against the CA" eq "$(v tls resp_ok)" 20
ok "TLS: receipts over TLS" eq "$(v tls matched)" 20
smsc tlsbad --tls_key="$TMP/pki/smsc.key" --tls_cert="$TMP/pki/smsc.pem"
drive tlsbad n=1 tls=1 tls_ca="$TMP/pki/other.pem" tls_name=localhost expect_fail=1 run_s=2
stop tlsbad
ok "TLS: certificate from another CA refused" eq "$(v tlsbad bound_max)" 0
ok "TLS: refusal says why" grep -q "certificate" "$TMP/tlsbad.out"
smsc tlsname --tls_key="$TMP/pki/smsc.key" --tls_cert="$TMP/pki/smsc.pem"
drive tlsname n=1 tls=1 tls_ca="$TMP/pki/ca.pem" tls_name=smsc.example.org expect_fail=1 run_s=2
stop tlsname
ok "TLS: certificate for another name refused" eq "$(v tlsname bound_max)" 0

# 8. graceful drain: stop taking work, empty the window, unbind
smsc drain --delay_ms=100
drive drain n=200 window=10 drain_after=20
stop drain
ok "drain: finished" eq "$(v drain drained)" 1
ok "drain: every SM in flight answered before unbind" js drain "s.accepted === $(v drain resp_ok) && s.unbinds === 1"
ok "drain: queued SMs handed back unsent" eq "$(( $(v drain resp_ok) + $(v drain bounce_drain) ))" 200

# 9. MO with a PoR UDH (IEI 0x71) reaches the owner; bad password refused
smsc mo --mo_por=1
drive mo n=1 hold_s=0.5
stop mo
ok "MO deliver_sm with PoR UDH handed over" eq "$(v mo mo_por)" 1
smsc pw
drive pw n=1 password=wrong expect_fail=1 run_s=1
stop pw
ok "bad password: bind refused with its status" grep -q "ESME_RINVPASWD" "$TMP/pw.out"

for n in win txrx early thr drop tls drain; do
    grep -q '^malformed=0$' "$TMP/$n.out" || { echo "# malformed PDUs in $n"; show "$n"; }
done
done_testing
