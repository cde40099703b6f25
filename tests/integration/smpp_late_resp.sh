#!/usr/bin/env bash
# smpp_late_resp.sh — submit_sm_resp later than response_timeout (otasim
# --stall-ms, fault stall-ms) against the real otagw, window 4 on both
# sides (otasim answers ESME_RTHROTTLED and counts a window violation when
# a bind has more than 4 submits unanswered):
#   - one late answer: its slot stays taken until the answer comes, then is
#     freed ("answered ... after the response timeout: window slot freed"),
#     no rebind;
#   - every slot stalled: at half the window (2 slots) unanswered past the
#     timeout otagw closes the bind and binds again ("2 submit_sm unanswered
#     past response_timeout: rebinding");
#   - throughout, the SMSC never sees more than the window outstanding (the
#     soak saw 65 violations when slots were freed at the timeout);
#   - with the stall over, a job is confirmed.
. tests/lib/e2e.sh
E2E_WINDOW=4
E2E_SIM_ARGS="--window 4"
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register
e2e_stop_gw
sed -i 's/^response_timeout = 5s$/response_timeout = 1s/' "$E2E_CONF"
e2e_start_gw || { echo "not ok - otagw restart"; exit 1; }

violations() { e2e_sim_stat 'smsc\.window_violations'; }
has() { grep -qF -- "$1" "$TMP/otagw.log" || { echo "no '$1' in otagw's log"; grep -i 'seq=\|BOUND' "$TMP/otagw.log" | tail -n 15; return 1; }; }

# 1. one SM answered 1.5 s late (timeout 1 s)
e2e_sim_ctl "fault stall-ms 1500" >/dev/null
e2e_job id late1 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC file fplmn value 23415 >/dev/null
wait_grep "after the response timeout: window slot freed" "$TMP/otagw.log" 10
ok "one late answer: otagw says unknown at the timeout and keeps the slot" has "outcome unknown; slot kept until it is answered"
ok "... the late answer frees it" has "after the response timeout: window slot freed"
ok "... and its message id is logged" has "answered ESME_ROK, message id "
ok "... no rebind for one late answer" bash -c "! grep -q 'past response_timeout: rebinding' '$TMP/otagw.log'"

# 2. every answer 3 s late: 6 SMs for a window of 4
e2e_sim_ctl "fault stall-ms 3000" >/dev/null
i=0
for c in "$E2E_ICCID_SIM $E2E_MSISDN_SIM" "$E2E_ICCID_AES $E2E_MSISDN_AES" \
    "$E2E_ICCID_PLAIN $E2E_MSISDN_PLAIN" "$E2E_ICCID_LOW $E2E_MSISDN_LOW" \
    "$E2E_ICCID_EUICC $E2E_MSISDN_EUICC" "$E2E_ICCID_GHOST $E2E_MSISDN_GHOST"; do
    set -- $c
    i=$((i + 1))
    e2e_job id stall$i type config iccid "$1" msisdn "$2" file fplmn value 23415 >/dev/null
done
ok "stuck slots: rebind at half the window (2 of 4)" \
    wait_grep "2 submit_sm unanswered past response_timeout: rebinding" "$TMP/otagw.log" 15
sleep 4
v=$(violations)
ok "the SMSC never saw its window exceeded (violations: $v)" test "$v" = 0

# 3. the stall over: work goes on
e2e_sim_ctl "fault stall-ms 0" >/dev/null
e2e_job id after type switch iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    method imsi imsi 228062800000208 >/dev/null
st=$(e2e_wait after 30)
ok "stall over: a job is confirmed (got '$st')" test "$st" = confirmed
v=$(violations)
ok "... still no window violation (violations: $v)" test "$v" = 0
done_testing
