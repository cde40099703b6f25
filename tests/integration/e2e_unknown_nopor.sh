#!/bin/bash
# e2e_unknown_nopor.sh — a submit_sm answered after response_timeout has an
# unknown outcome. Only a PoR can reconcile it (the receipt names a message
# id otagw never got), so a job with por=none must not wait reconcile_ms
# for one: it is sent again after the usual back-off with a fresh counter
# and ends `delivered`. Waiting (the code before), it expired although its
# card had run it (the long soak's 35 "evidence lost" jobs, all por=none).
. tests/lib/e2e.sh
E2E_RESPONSE_TIMEOUT=1s
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

ok "otasim: hold each submit_sm_resp 2.5 s" test "$(e2e_sim_ctl 'fault stall-ms 2500')" = ok
e2e_job id un-1 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 por none validity 60 >/dev/null
wait_grep 'job=un-1.*outcome unknown' "$TMP/otagw.log"
ok "no submit_sm_resp within 1 s: outcome unknown, retrying (no PoR asked for)" \
    grep -q 'job=un-1.*outcome unknown, no PoR asked for: retrying' "$TMP/otagw.log"
ok "otasim: answer at once again" test "$(e2e_sim_ctl 'fault stall-ms 0')" = ok

st=$(e2e_wait un-1 30)
ok "the job ends delivered (got '$st')" test "$st" = delivered
ok "its events: received retry submitted delivered" \
    test "$(e2e_states un-1)" = "received retry submitted delivered"
ok "the retry says why" \
    grep -q 'outcome unknown and no PoR asked for (por=none): sent again with a fresh counter' \
    <<<"$(RCLI xrange ota:events - +)"
ok "the card ran it twice, each with its own counter (at-least-once)" \
    test "$(e2e_card $E2E_ICCID_UICC executed)" = 2

e2e_stop_gw
ok "otagw exits 0 on SIGTERM" test "$E2E_GW_RC" = 0
done_testing
