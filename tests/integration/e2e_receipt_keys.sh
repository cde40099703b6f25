#!/bin/bash
# e2e_receipt_keys.sh — a receipt whose id reads two ways finds its job in
# one call (gateway/daemon.c on_receipt -> jobq_receipt_keys).
# The carrier runs msgid_format = auto; otasim answers submit_sm with
# decimal ids from 4096 and writes receipts in hex: 4096 -> "1000", all
# digits, so the receipt has two keys (codec/dlr.h: read as decimal 1000,
# and as hex 0x1000 = 4096) and only the second one names the job. Every
# job must still see its `delivered` step, and no receipt may be left
# stashed under the key that named nothing (what asking key by key did:
# the first key's miss was kept for early_ttl_ms).
E2E_SIM_ARGS="--msgid dec/hex --msgid-start 4096"
E2E_MSGID_FORMAT=auto
. tests/lib/e2e.sh
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

jobs="rk1 rk2 rk3 rk4"
for j in $jobs; do
    e2e_job id $j type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
        file fplmn value 23415 >/dev/null
done
for j in $jobs; do
    st=$(e2e_wait $j)
    ok "$j: confirmed (got '$st')" test "$st" = confirmed
    ok "$j: its receipt found it (delivered before confirmed)" \
        test "$(e2e_states $j)" = "received submitted delivered confirmed"
done
ids=$(for j in $jobs; do RCLI HGET ota:job:$j msgids; done | tr '\n' ' ')
ok "the SMSC's ids are 4096.. (key x:1000..: $ids)" \
    bash -c "[[ ' $ids' == *' x:1000 '* ]] && [[ ' $ids' == *' x:1003 '* ]]"
ok "receipts named their job (log: -> delivered)" \
    test "$(grep -c 'receipt \[carrier=sim msgid=.* job=rk[1-4]\] DELIVRD.* -> delivered' "$TMP/otagw.log")" = 4
ok "no receipt left stashed under the key that named nothing" \
    test -z "$(RCLI --scan --pattern 'ota:early:*')"

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
