#!/usr/bin/env bash
# otactl_codec.sh — `otactl packet` and `otactl por` against every vector of
# tests/vectors/ota-public.json (read with jq, nothing transcribed), a long
# packet split into concatenated SMs, and bad input: exit 2 with one line.
. tests/lib/harness.sh

OTACTL=${SAN_BUILD}/otactl
[ -x "$OTACTL" ] || OTACTL=${BUILD}/otactl
V=tests/vectors/ota-public.json

# eq NAME WANT CMD...: stdout of CMD equals WANT and it exits 0.
eq() {
    local name=$1 want=$2
    shift 2
    local got rc
    got=$("$@" 2>"$TMP/err")
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
        echo "ok - $name"
    else
        echo "not ok - $name"
        echo "#   rc=$rc"
        echo "#   want: $want" | head -n 5
        echo "#   got:  $got" | head -n 5
        sed 's/^/#   /' "$TMP/err"
        TAP_FAIL=1
    fi
}

# bad NAME STATUS CMD...: CMD exits STATUS with exactly one line on stderr
# and nothing on stdout.
bad() {
    local name=$1 want=$2
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && [ ! -s "$TMP/out" ]; then
        echo "ok - $name ($(cat "$TMP/err"))"
    else
        echo "not ok - $name (rc=$rc, want $want)"
        sed 's/^/#   /' "$TMP/err" "$TMP/out"
        TAP_FAIL=1
    fi
}

n=$(jq '.command_vectors | length' "$V")
for i in $(seq 0 $((n - 1))); do
    v=$(jq -c ".command_vectors[$i]" "$V")
    f() { jq -r ".$1 // empty" <<<"$v"; }
    # Every vector's TP-UD is 02 70 00 + secured packet when it fits one SM.
    want=$(f single_sms_user_data)
    [ -n "$want" ] || want="027000$(f secured_packet)"
    eq "packet: $(f name)" "$want" "$OTACTL" packet --spi "$(f spi)" --kic "$(f kic)" \
        --kid "$(f kid)" --tar "$(f tar)" --counter "$(f cntr)" --kic-key "$(f kic_key)" \
        --kid-key "$(f kid_key)" --data "$(f payload)"
done

n=$(jq '.response_vectors | length' "$V")
for i in $(seq 0 $((n - 1))); do
    v=$(jq -c ".response_vectors[$i]" "$V")
    f() { jq -r ".$1 // empty" <<<"$v"; }
    alg() { case $1 in des) echo 01 ;; 3des2) echo 05 ;; 3des3) echo 09 ;; aes) echo 02 ;; esac; }
    want=$(printf 'tar=%s\ncounter=%s\nstatus=%s\ndata=%s' "$(f decoded.tar)" \
        "$(f decoded.cntr)" "$(f decoded.status_code)" "$(f decoded.additional_data)")
    args=(--spi "$(f command_spi)" --kic "$(alg "$(f kic_alg)")" --kid "$(alg "$(f kid_alg)")"
        --kic-key "$(f kic_key)" --kid-key "$(f kid_key)")
    eq "por: $(f name)" "$want" "$OTACTL" por "${args[@]}" "$(f user_data)"
    eq "por with command check: $(f name)" "$want" "$OTACTL" por "${args[@]}" \
        --tar "$(f decoded.tar)" --counter "$(f decoded.cntr)" "$(f user_data)"
    # One flipped octet in the last position: does not verify (exit 1) when
    # the SPI protects the PoR.
    ud=$(f user_data)
    last=${ud: -2}
    flipped="${ud:0:${#ud}-2}$(printf '%02x' $((0x$last ^ 0x01)))"
    if [ -n "$(f decoded.rc_cc_ds)" ]; then
        bad "por tampered: $(f name)" 1 "$OTACTL" por "${args[@]}" "$flipped"
    fi
    bad "por for another command: $(f name)" 1 "$OTACTL" por "${args[@]}" \
        --tar "$(f decoded.tar)" --counter 0000000001 "$(f user_data)"
done

# A packet of 300 octets of data takes 3 SMs with reference 9; every line
# is at most 140 octets and the 8-bit concatenation header is there.
K=000102030405060708090a0b0c0d0e0f
data=$(printf '%0600d' 0)
"$OTACTL" packet --spi 1621 --kic 22 --kid 22 --tar b00011 --counter 0000000001 \
    --kic-key $K --kid-key $K --data "$data" --concat-ref 9 >"$TMP/sms" 2>"$TMP/err"
ok "packet: long data makes 3 SMs" test "$(wc -l <"$TMP/sms")" -eq 3
ok "packet: first SM has 07 00 03 09 03 01 70 00" grep -q '^0700030903017000' "$TMP/sms"
ok "packet: later SMs carry 05 00 03 09 03 0n" \
    test "$(grep -c '^05000309030[23]' "$TMP/sms")" -eq 2
ok "packet: no SM over 140 octets" awk 'length($0) > 280 { exit 1 }' "$TMP/sms"

# Bad input: exit 2, one line.
common=(--kic 35 --kid 35 --tar b00011 --counter 0000000000 --kic-key $K --kid-key $K)
bad "odd hex" 2 "$OTACTL" packet --spi 0619 "${common[@]}" --data 00a
bad "not hex" 2 "$OTACTL" packet --spi 0619 "${common[@]}" --data 0g
bad "short counter" 2 "$OTACTL" packet --spi 0619 "${common[@]/0000000000/00}" --data 00
bad "wrong key length (3DES2 with 8)" 2 "$OTACTL" packet --spi 0619 --kic 35 --kid 35 \
    --tar b00011 --counter 0000000000 --kic-key 0001020304050607 --kid-key $K --data 00
bad "wrong key length (AES 20)" 2 "$OTACTL" packet --spi 0619 --kic 22 --kid 22 \
    --tar b00011 --counter 0000000000 --kic-key ${K}00010203 --kid-key $K --data 00
bad "missing key" 2 "$OTACTL" packet --spi 0619 --kic 35 --kid 35 --tar b00011 \
    --counter 0000000000 --kid-key $K --data 00
bad "reserved SPI1 bit" 2 "$OTACTL" packet --spi 2619 "${common[@]}" --data 00
bad "reserved PoR mode 11" 2 "$OTACTL" packet --spi 0613 "${common[@]}" --data 00
bad "digital signature" 2 "$OTACTL" packet --spi 0319 "${common[@]}" --data 00
bad "oversized payload" 2 "$OTACTL" packet --spi 0619 "${common[@]}" \
    --data "$(printf '%04400d' 0)"
bad "concat-ref out of range" 2 "$OTACTL" packet --spi 0619 "${common[@]}" --data 00 \
    --concat-ref 256
bad "unknown option" 2 "$OTACTL" packet --spi 0619 "${common[@]}" --data 00 --frobnicate 1
bad "por: no TP-UD" 2 "$OTACTL" por --spi 0619 --kic 35 --kid 35 --kic-key $K --kid-key $K
bad "por: odd hex" 2 "$OTACTL" por --spi 0619 --kic 35 --kid 35 --kic-key $K --kid-key $K 0271000
bad "por: not a PoR header" 1 "$OTACTL" por --spi 0619 --kic 35 --kid 35 --kic-key $K \
    --kid-key $K 02700000
bad "unknown command" 2 "$OTACTL" frob

done_testing
