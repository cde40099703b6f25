#!/bin/bash
# e2e_reject.sh — jobs that cannot or do not succeed, end to end: each one
# ends in its state with a reason an operator can act on, in the event.
#   rejected: a field ota/ refuses, a keyset not in the keystore, a
#             local-only country no carrier may serve, an applet slot out of
#             range, a job the validator refuses, a card without a record;
#   failed:   receipt UNDELIV (no such subscriber at otasim), the card's
#             answer 6982 (read-only EF);
#   resync:   the card's PoR says "counter low": the counter jumps ahead and
#             the job is retried once and confirmed.
. tests/lib/e2e.sh
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

detail_has() { # job state text
    local d
    d=$(e2e_event "$1" "$2")
    [[ "$d" == *"$3"* ]] || { echo "event $2 of $1: '$d' lacks '$3'"; return 1; }
}

e2e_job id bad-plmn type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 2341x >/dev/null
e2e_job id no-keyset type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 keyset nope >/dev/null
e2e_job id cn type config iccid $E2E_ICCID_CN msisdn $E2E_MSISDN_CN \
    file fplmn value 23415 >/dev/null
e2e_job id slot9 type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method applet slot 9 >/dev/null
e2e_job id invalid type switch iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    method imsi >/dev/null
e2e_job id nocard type config iccid 8944000000000000099 msisdn 447700900099 \
    file fplmn value 23415 >/dev/null

for j in bad-plmn no-keyset cn slot9 invalid nocard; do
    st=$(e2e_wait $j 10)
    ok "$j: rejected (got '$st')" test "$st" = rejected
done
ok "bad field: the reason names the field (value)" detail_has bad-plmn rejected value
ok "unknown keyset: the reason names the keyset" detail_has no-keyset rejected "keyset: 'nope' is not in the keystore"
ok "local-only country: the reason names CN and the policy" detail_has cn rejected CN
ok "local-only country: ... and says local-only" detail_has cn rejected local
ok "applet slot out of range: the reason names the slot" detail_has slot9 rejected "slot"
ok "invalid job: the validator names the field" detail_has invalid rejected "imsi: required"
ok "unknown card: the reason says so" detail_has nocard rejected "unknown"
ok "rejected jobs sent nothing to the carrier" \
    bash -c "! grep -q 'job=\\(bad-plmn\\|no-keyset\\|cn\\|slot9\\) .*sending' '$TMP/otagw.log'"

# A number otasim does not serve: receipt UNDELIV -> failed.
e2e_job id undeliv type config iccid $E2E_ICCID_GHOST msisdn $E2E_MSISDN_GHOST \
    file fplmn value 23415 >/dev/null
st=$(e2e_wait undeliv)
ok "receipt UNDELIV: failed (got '$st')" test "$st" = failed
ok "receipt UNDELIV: the reason has the receipt's stat" detail_has undeliv failed UNDELIV

# The card refuses to write EF_ACC (6F78 read-only on this card): 6982.
e2e_job id ro type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file acc value 0,3 >/dev/null
st=$(e2e_wait ro)
ok "card answers 6982: failed (got '$st')" test "$st" = failed
ok "card answers 6982: the reason has the status word" detail_has ro failed 6982

# Counter low: otasim's card stored 100, Redis starts at 1 (TS 102 225
# §5.1.1 mode "higher"). PoR 02 (secured, so only the keyset opens it) ->
# the counter jumps ahead -> one retry -> confirmed.
e2e_job id low type switch iccid $E2E_ICCID_LOW msisdn $E2E_MSISDN_LOW \
    method imsi imsi 001010123456789 >/dev/null
st=$(e2e_wait low 30)
ok "counter low: confirmed after a resync (got '$st')" test "$st" = confirmed
ok "counter low: a retry event says counter low" detail_has low retry "counter low"
ok "counter low: the card now stores a counter above 100" \
    test "$(e2e_card $E2E_ICCID_LOW counter.ks1)" -gt 100
ok "counter low: the card's IMSI is the new one" \
    test "$(e2e_card $E2E_ICCID_LOW imsi)" = 001010123456789

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
