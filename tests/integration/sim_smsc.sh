#!/bin/bash
# otasim over real TCP, driven by its own test ESME (otasim --client):
# bind authentication, receipts in each form, window and TPS enforcement,
# throttling answers, faults, a real secured packet built by codec/c348
# executed by a simulated card, its PoR opened by codec/c348, and the card
# state changed in the dump.
. tests/lib/harness.sh
SIM=$BUILD/otasim
[ -x "$SIM" ] || { echo "not ok - $SIM not built"; exit 1; }

cat >"$TMP/cards.ini" <<'CARDS'
[keyset ks1]
kic = 3des2:300102030405060708090a0b0c0d0e0f
kid = 3des2:301102030405060708090a0b0c0d0e0f
kic_kvn = 3
kid_kvn = 3
spi = 1621

[card 8944000000000000001]
msisdn = 447700900001
class = uicc
imsi = 228062800000208
keyset = ks1
counter.ks1 = 10
tar = b00011 rfm msl=12

[card 8944000000000000002]
msisdn = 447700900002
class = sim
imsi = 22806280000020
keyset = ks1
tar = b00010 rfm msl=12

# The multi-IMSI applet of ota/'s example profile "example-slot"
# (conf/applets.example.conf: TAR B0FF01, 80 C2 {slot} 00 00), and an eUICC.
[card 8944000000000000003]
msisdn = 447700900003
keyset = ks1
tar = b0ff01 applet msl=12
tar = 000001 isdr msl=16
slot.1 = 228062800000208
slot.2 = 001010123456789
applet_command = 80 C2 {slot} 00 00
profile = a0000005591010ffffffff8900001100 enabled
profile = a0000005591010ffffffff8900001200
CARDS

P=$(free_port)
P2=$(free_port)
CTL=$(free_port)
spawn sim "$SIM" --cards "$TMP/cards.ini" --listen "127.0.0.1:$P" \
    --listen "127.0.0.1:$P2,account=second" \
    --account carrier:otagw:secret --account second:gw2:pw2 \
    --receipt-delay-ms 20 --por-delay-ms 10 --window 4 --log "$TMP/pdu.log" \
    --journal "$TMP/journal.log" --state "$TMP/state.txt" --control "$CTL" --seed 7
wait_port "$P" || { echo "not ok - otasim did not start"; cat "$TMP/sim.log"; exit 1; }

client() { "$SIM" --client "$@"; }
ctl() { exec 3<>"/dev/tcp/127.0.0.1/$CTL"; echo "$1" >&3; timeout 2 sed '/^\.$/q; /^ok$/q; /^error/q' <&3; exec 3<&-; }

# --- binds
ok "bind with the right password" sh -c "'$SIM' --client 127.0.0.1:$P --system-id otagw --password secret | grep -q '^bind status=0$'"
ok "wrong password: ESME_RINVPASWD (14)" sh -c "'$SIM' --client 127.0.0.1:$P --system-id otagw --password nope | grep -q '^bind status=14$'"
ok "unknown system_id: ESME_RINVSYSID (15)" sh -c "'$SIM' --client 127.0.0.1:$P --system-id who --password secret | grep -q '^bind status=15$'"
ok "an account's own port refuses the other's system_id" sh -c "'$SIM' --client 127.0.0.1:$P2 --system-id otagw --password secret | grep -q '^bind status=15$'"
ok "second account binds on its port" sh -c "'$SIM' --client 127.0.0.1:$P2 --system-id gw2 --password pw2 | grep -q '^bind status=0$'"

# --- receipts: unknown number is UNDELIV, known one DELIVRD (outcome 100%)
client 127.0.0.1:$P --submit 447700900009:0011 --submit 447700900002:0022 --expect 2 --wait-ms 2000 >"$TMP/rcpt.out"
ok "submit_sm_resp with a message id" grep -qE '^resp seq=2 status=0 id=[0-9A-F]+$' "$TMP/rcpt.out"
id2=$(sed -n 's/^resp seq=2 status=0 id=//p' "$TMP/rcpt.out")
id3=$(sed -n 's/^resp seq=3 status=0 id=//p' "$TMP/rcpt.out")
ok "unknown MSISDN: receipt UNDELIV with text and TLVs" grep -qE "^deliver .*esm=04 .*rid=$id2 state=5 text=id:$id2 .*stat:UNDELIV" "$TMP/rcpt.out"
ok "known MSISDN: receipt DELIVRD" grep -qE "^deliver .*esm=04 .*rid=$id3 state=2 .*stat:DELIVRD" "$TMP/rcpt.out"

# --- a real secured packet, built by codec/c348, executed by the 2G SIM:
# UPDATE BINARY EF_IMSI under DF GSM, PoR ciphered + CC (SPI 16 39).
ud=$("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar b00010 --cntr 11 --spi 1639 \
    --data a0a40000027f20a0a40000026f07a0d6000009082926108967452301)
ok "otasim --packet builds one SM" test "$(echo "$ud" | wc -l)" = 1
client 127.0.0.1:$P --submit "447700900002:$ud" --expect 2 --wait-ms 3000 >"$TMP/por.out"
por=$(sed -n 's/^deliver .*esm=40 src=447700900002 .*pid=7f dcs=f6 ud=\(02710000[0-9a-f]*\).*/\1/p' "$TMP/por.out")
ok "PoR comes back as an MO with UDH 71, PID 7F, DCS F6" test -n "$por"
ok "codec/c348 opens the PoR: status 00, 3 commands, 9000" sh -c "'$SIM' --open-por --keys '$TMP/cards.ini' --keyset ks1 --tar b00010 --cntr 11 --spi 1639 $por | grep -qx 'status=00 verified=1 data=039000'"
ok "the card's EF_IMSI changed (control port)" bash -c "$(declare -f ctl); CTL=$CTL; ctl 'card 8944000000000000002' | grep -qx '8944000000000000002.imsi 262019876543210'"
ok "counter stored by the card" bash -c "$(declare -f ctl); CTL=$CTL; ctl 'card 8944000000000000002' | grep -qx '8944000000000000002.counter.ks1 11'"
ctl flush >/dev/null
ok "journal records iccid, keyset, counter" grep -q "iccid=8944000000000000002 keyset=ks1 cntr=11 tar=b00010 rsc=00 executed=1" "$TMP/journal.log"
# The same packet again: the card refuses the replay (counter low, 02).
client 127.0.0.1:$P --submit "447700900002:$ud" --expect 2 --wait-ms 3000 >"$TMP/replay.out"
por2=$(sed -n 's/^deliver .*esm=40 .*ud=\(02710000[0-9a-f]*\).*/\1/p' "$TMP/replay.out")
ok "a replayed packet is refused with status 02" sh -c "'$SIM' --open-por --keys '$TMP/cards.ini' --keyset ks1 --tar b00010 --cntr 11 --spi 1639 $por2 | grep -q '^status=02 '"
ctl flush >/dev/null
ok "and not executed twice" test "$(grep -c 'cntr=11 tar=b00010 rsc=00 executed=1' "$TMP/journal.log")" = 1

# --- the applet switches slot; the ISD-R enables the second profile
ud=$("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar b0ff01 --cntr 1 --spi 1621 --data 80c2020000)
client 127.0.0.1:$P --submit "447700900003:$ud" --expect 2 --wait-ms 3000 >"$TMP/applet.out"
por=$(sed -n 's/^deliver .*esm=40 .*ud=\(02710000[0-9a-f]*\).*/\1/p' "$TMP/applet.out")
ok "applet: PoR 9000" sh -c "'$SIM' --open-por --keys '$TMP/cards.ini' --keyset ks1 --tar b0ff01 --cntr 1 --spi 1621 $por | grep -qx 'status=00 verified=0 data=019000'"
ctl 'card 8944000000000000003' >"$TMP/c3.out"
ok "applet: slot 2 active, EF_IMSI rewritten" sh -c "grep -qx '8944000000000000003.active_slot 2' '$TMP/c3.out' && grep -qx '8944000000000000003.imsi 001010123456789' '$TMP/c3.out'"
ud=$("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar 000001 --cntr 2 --spi 1621 \
    --data aa1c221a80e28800153a03124f10a0000005591010ffffffff8900001200)
client 127.0.0.1:$P --submit "447700900003:$ud" --expect 3 --wait-ms 3000 >"$TMP/isdr.out"
por=$(sed -n 's/^deliver .*esm=40 .*ud=\(02710000[0-9a-f]*\).*/\1/p' "$TMP/isdr.out")
ok "ISD-R: STORE DATA 3A03 answered 9000 in an expanded PoR" sh -c "'$SIM' --open-por --keys '$TMP/cards.ini' --keyset ks1 --tar 000001 --cntr 2 --spi 1621 $por | grep -qx 'status=00 verified=0 data=ab0780010123029000'"
ctl 'card 8944000000000000003' >"$TMP/c3.out"
ok "ISD-R: a notification MO follows the enable" grep -q "^deliver .*src=447700900003 .*ud=$(printf 'otasim-notify iccid=8944000000000000003 event=enable profile=a0000005591010ffffffff8900001200' | od -An -tx1 | tr -d ' \n')" "$TMP/isdr.out"
ok "ISD-R: the second profile is enabled" grep -qx '8944000000000000003.profile a0000005591010ffffffff8900001200' "$TMP/c3.out"
ud=$("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar 000001 --cntr 3 --spi 1221 \
    --data aa1c221a80e28800153a03124f10a0000005591010ffffffff8900001100)
client 127.0.0.1:$P --submit "447700900003:$ud" --expect 2 --wait-ms 600 >"$TMP/isdr2.out"
ok "ISD-R: below its security level, no PoR at all" test "$(grep -c 'esm=40' "$TMP/isdr2.out")" = 0

# --- a long script: three SMs, reassembled by the card
data=a0a40000027f20a0a40000026f60
for i in $(seq 1 30); do data="${data}a0d600000562f2104000"; done
mapfile -t sms < <("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar b00010 --cntr 12 --spi 1621 --data "$data" --ref 9)
ok "otasim --packet splits it into 3 SMs" test "${#sms[@]}" = 3
args=()
for s in "${sms[@]}"; do args+=(--submit "447700900002:$s"); done
client 127.0.0.1:$P "${args[@]}" --window 3 --expect 4 --wait-ms 3000 >"$TMP/long.out"
ok "a concatenated command runs once, one PoR" test "$(grep -c 'esm=40' "$TMP/long.out")" = 1
ok "EF_PLMNwAcT changed" bash -c "$(declare -f ctl); CTL=$CTL; ctl 'card 8944000000000000002' | grep -q '^8944000000000000002.ef.6f60 62f2104000'"

# --- window: the SMSC holds responses; an ESME that sends more than 4
# outstanding gets ESME_RTHROTTLED (88) for the excess, and the log shows
# the window it saw.
ok "fault stall-ms at run time" bash -c "$(declare -f ctl); CTL=$CTL; ctl 'fault stall-ms 300' | grep -qx ok"
client 127.0.0.1:$P --submit 447700900001:00 --repeat 6 --window 6 --rd 0 >"$TMP/win.out"
ok "window 4: four accepted" test "$(grep -c 'status=0 id=' "$TMP/win.out")" = 4
ok "window 4: two throttled (88)" test "$(grep -c 'status=88' "$TMP/win.out")" = 2
ctl flush >/dev/null
ok "the log shows window=4 at the refused ones" test "$(grep -c 'submit_sm .* window=4 refused=window' "$TMP/pdu.log")" = 2
ok "control stats report the violations" bash -c "$(declare -f ctl); CTL=$CTL; ctl stats | grep -qx 'smsc.window_violations 2'"
ctl 'fault stall-ms 0' >/dev/null

# --- TPS and throttle injection
ctl 'fault tps 5' >/dev/null
client 127.0.0.1:$P --submit 447700900001:00 --repeat 12 --window 1 --rd 0 >"$TMP/tps.out"
n_ok=$(grep -c 'status=0 id=' "$TMP/tps.out")
ok "tps 5: at most 5 (+1 refill) of 12 accepted at once, the rest 88" sh -c "[ $n_ok -ge 4 ] && [ $n_ok -le 7 ] && [ $(grep -c status=88 "$TMP/tps.out") -eq $((12 - n_ok)) ]"
ctl 'fault tps 0' >/dev/null
ctl 'fault throttle-rate 1' >/dev/null
client 127.0.0.1:$P --submit 447700900001:00 --repeat 3 --rd 0 >"$TMP/thr.out"
ok "throttle-rate 1: every submit answered 88" test "$(grep -c status=88 "$TMP/thr.out")" = 3
ctl 'fault throttle-rate 0' >/dev/null

# --- faults: drop after N, malformed PDUs, refused binds
ctl 'fault drop-after 2' >/dev/null
client 127.0.0.1:$P --submit 447700900001:00 --repeat 3 --rd 0 >"$TMP/drop.out"
ok "drop-after 2: the link closes at the 2nd submit" sh -c "grep -q '^closed' '$TMP/drop.out' && [ \$(grep -c 'status=0 id=' '$TMP/drop.out') -eq 1 ]"
ctl 'fault drop-after 0' >/dev/null
ctl 'fault malformed-every 2' >/dev/null
client 127.0.0.1:$P --submit 447700900001:00 --repeat 4 --wait-ms 300 >"$TMP/mal.out"
ok "malformed PDUs reach the ESME, the link stays framed" sh -c "grep -q '^malformed' '$TMP/mal.out' && [ \$(grep -c 'status=0 id=' '$TMP/mal.out') -eq 4 ]"
ctl flush >/dev/null
ok "the SMSC logs the ESME's generic_nack" grep -q 'generic_nack' "$TMP/pdu.log"
ctl 'fault malformed-every 0' >/dev/null
ctl 'fault reject-binds-for-ms 10000' >/dev/null
ok "reject-binds: ESME_RBINDFAIL (13)" sh -c "'$SIM' --client 127.0.0.1:$P | grep -q '^bind status=13$'"
ctl 'fault reject-binds-for-ms 0' >/dev/null

# --- state file on SIGUSR1
kill -USR1 "$sim_PID"
sleep 0.3
ok "SIGUSR1 writes the state file" grep -qx '8944000000000000002.imsi 262019876543210' "$TMP/state.txt"
ok "the state never holds key material" sh -c "! grep -q 300102030405060708090a0b0c0d0e0f '$TMP/state.txt'"
done_testing
