#!/bin/bash
# otasim --deliver-on: which bound session of the account gets a submit's
# receipt and its card's PoR. Two test ESMEs on one account: one only
# listens, the other submits a real secured packet (receipt + PoR MO).
#   same:  both come back on the submitter's session
#   other: both on the listener's; alone, the submitter gets them anyway
#          and smsc.deliver_fallback counts it
#   any:   round robin over both (the default)
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

[card 8944000000000000002]
msisdn = 447700900002
class = sim
imsi = 22806280000020
keyset = ks1
tar = b00010 rfm msl=12
CARDS
# UPDATE BINARY EF_IMSI under DF GSM, counter 11: receipt DELIVRD + PoR.
ud=$("$SIM" --packet --keys "$TMP/cards.ini" --keyset ks1 --tar b00010 --cntr 11 --spi 1639 \
    --data a0a40000027f20a0a40000026f07a0d6000009082926108967452301)

# run MODE LISTENER(0|1): otasim --deliver-on MODE, the listener (when 1)
# and the submitter; deliver lines in $TMP/MODE.listen and $TMP/MODE.submit,
# the state dump in $TMP/MODE.state.
run() {
    local mode=$1 P lp
    P=$(free_port)
    spawn "sim_$mode" "$SIM" --cards "$TMP/cards.ini" --listen "127.0.0.1:$P" \
        --account carrier:otagw:secret --receipt-delay-ms 20 --por-delay-ms 10 \
        --state "$TMP/$mode.state" --deliver-on "$mode"
    eval "local sim_pid=\$sim_${mode}_PID"
    wait_port "$P" || return 1
    : >"$TMP/$mode.listen"
    if [ "$2" = 1 ]; then
        "$SIM" --client "127.0.0.1:$P" --wait-ms 2500 >"$TMP/$mode.listen" &
        lp=$!
        sleep 0.5 # bound before anything is submitted
    fi
    "$SIM" --client "127.0.0.1:$P" --submit "447700900002:$ud" --expect 2 --wait-ms 1500 \
        >"$TMP/$mode.submit"
    [ "$2" = 1 ] && wait "$lp"
    kill -TERM "$sim_pid"
    wait "$sim_pid" 2>/dev/null
}
delivers() { grep -c '^deliver ' "$TMP/$1"; }
receipt() { grep -qE '^deliver .*esm=04 .*stat:DELIVRD' "$TMP/$1"; }
por() { grep -qE '^deliver .*esm=40 src=447700900002 .*ud=02710000' "$TMP/$1"; }
fallback() { awk '$1 == "smsc.deliver_fallback" {print $2}' "$TMP/$1.state"; }

run same 1
ok "same: the submitter's session gets the receipt and the PoR" \
    bash -c "$(declare -f receipt por); TMP=$TMP; receipt same.submit && por same.submit"
ok "same: the listener gets nothing" test "$(delivers same.listen)" = 0

run other 1
ok "other: the listener's session gets the receipt and the PoR" \
    bash -c "$(declare -f receipt por); TMP=$TMP; receipt other.listen && por other.listen"
ok "other: the submitter gets nothing" test "$(delivers other.submit)" = 0
ok "other: no fallback" test "$(fallback other)" = 0

run other 0
ok "other, one session only: it gets them all the same" \
    bash -c "$(declare -f receipt por); TMP=$TMP; receipt other.submit && por other.submit"
ok "... counted in smsc.deliver_fallback" test "$(fallback other)" = 2

run any 1
ok "any (default): both delivered, over the two sessions" \
    test $(($(delivers any.listen) + $(delivers any.submit))) = 2
"$SIM" --deliver-on sideways --cards "$TMP/cards.ini" --check >/dev/null 2>"$TMP/err"
ok "a bad --deliver-on is refused, exit 2" sh -c "test $? = 2 && grep -q -- '--deliver-on' '$TMP/err'"
done_testing
