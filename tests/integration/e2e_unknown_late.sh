#!/bin/bash
# e2e_unknown_late.sh — a submit_sm answered after response_timeout has an
# unknown outcome. A job with por=none gets no PoR to reconcile it, so it
# must not wait reconcile_ms for one (the long soak's 35 "evidence lost"
# jobs expired so although their card had run them): it is retried after
# the usual back-off (5 s +-20 %) with a fresh counter. What can settle it
# first is its receipt, once the late submit_sm_resp brings the message id
# (bind.h submit_late, jobq_late_submitted):
#   1. the answer comes 2.5 s late, inside the back-off: the receipt
#      settles the job `delivered`, no retry, the card ran it once;
#   2. the answer comes 9 s late, after the retry went: the retry ends the
#      job and the late id finds it final; the card ran it twice, each with
#      its own counter (at-least-once);
#   3. por=always, 2.5 s late: the receipt settles it `delivered` (the retry
#      that waited reconcile_ms for a PoR is cancelled) and the PoR confirms;
#   4. a packet of two SMs (por=none), both late: each late id is mapped,
#      both receipts together settle it;
#   5. the operator's lever: with `retry_backoff = 15s` the 9 s late
#      answer of case 2 comes before the retry, and the job runs once.
. tests/lib/e2e.sh
E2E_RESPONSE_TIMEOUT=1s
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

# late_job ID STALL_MS VALUE: a por=none FPLMN job whose submit_sm_resp
# otasim holds STALL_MS (timeout 1 s): its outcome is unknown, then otasim
# answers at once again (the held answer still comes after STALL_MS).
late_job() {
    ok "otasim: hold each submit_sm_resp $2 ms" test "$(e2e_sim_ctl "fault stall-ms $2")" = ok
    e2e_job id "$1" type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
        file fplmn value "$3" por none validity 60 >/dev/null
    wait_grep "job=$1.*outcome unknown" "$TMP/otagw.log"
    ok "$1: no submit_sm_resp within 1 s: outcome unknown, retrying (no PoR asked for)" \
        grep -q "job=$1.*outcome unknown, no PoR asked for: retrying" "$TMP/otagw.log"
    ok "otasim: answer at once again" test "$(e2e_sim_ctl 'fault stall-ms 0')" = ok
}

# 1. late, inside the back-off
late_job un-1 2500 23415
st=$(e2e_wait un-1 30)
ok "the job ends delivered (got '$st')" test "$st" = delivered
ok "its events: received retry delivered (no second submit)" \
    test "$(e2e_states un-1)" = "received retry delivered"
ok "the late answer's message id was recorded for attempt 1" \
    grep -q 'job=un-1.*late message id .* (SM 1/1, attempt 1) -> ' "$TMP/otagw.log"
ok "the delivered event says the receipt settled the unknown outcome" \
    grep -q 'settles the unknown outcome, no retry' <<<"$(RCLI hget ota:job:un-1 detail)"
ok "the retry set no longer holds it" test "$(RCLI zscore ota:retry un-1)" = ""
ok "the hash keeps no retry due" test "$(RCLI hexists ota:job:un-1 due)" = 0
sleep 6 # past the back-off: nothing is sent again
ok "the card ran it once" test "$(e2e_card $E2E_ICCID_UICC executed)" = 1
ok "still delivered after the back-off, attempt 1" \
    test "$(RCLI hmget ota:job:un-1 state attempt | tr '\n' ' ')" = "delivered 1 "

# 2. late, after the retry went
late_job un-2 9000 23416
st=$(e2e_wait un-2 30)
ok "the job ends delivered by its retry (got '$st')" test "$st" = delivered
ok "its events: received retry submitted delivered" \
    test "$(e2e_states un-2)" = "received retry submitted delivered"
ok "the retry says why" \
    grep -q 'outcome unknown and no PoR asked for (por=none): sent again with a fresh counter' \
    <<<"$(RCLI xrange ota:events - +)"
wait_grep 'job=un-2.*late message id .*attempt 1' "$TMP/otagw.log" 15
ok "attempt 1's late id finds the job final" \
    grep -q 'job=un-2.*late message id .* (SM 1/1, attempt 1) -> final' "$TMP/otagw.log"
ok "the card ran it twice (2 jobs, 3 runs), each with its own counter (at-least-once)" \
    test "$(e2e_card $E2E_ICCID_UICC executed)" = 3

# 3. por=always, late inside the back-off; the card answers after 4 s (a
#    PoR before the receipt would confirm the job by itself)
ok "otasim: hold each submit_sm_resp 2.5 s" test "$(e2e_sim_ctl 'fault stall-ms 2500')" = ok
ok "otasim: cards answer after 4 s" test "$(e2e_sim_ctl 'fault por-delay-ms 4000')" = ok
e2e_job id un-3 type config iccid $E2E_ICCID_AES msisdn $E2E_MSISDN_AES \
    file fplmn value 23417 validity 60 >/dev/null
wait_grep 'job=un-3.*outcome unknown' "$TMP/otagw.log"
ok "otasim: answer at once again" test "$(e2e_sim_ctl 'fault stall-ms 0')" = ok
st=$(e2e_wait un-3 30)
ok "por=always: the job ends confirmed (got '$st')" test "$st" = confirmed
ok "its events: received retry delivered confirmed" \
    test "$(e2e_states un-3)" = "received retry delivered confirmed"
ok "the card ran it once" test "$(e2e_card $E2E_ICCID_AES executed)" = 1
ok "the retry set no longer holds it" test "$(RCLI zscore ota:retry un-3)" = ""
ok "otasim: cards answer at once again" test "$(e2e_sim_ctl 'fault por-delay-ms 20')" = ok

# 4. two SMs, both late (30 SELECTs of 7 octets: 210 octets of script)
apdus=$(printf '00a40004023f00,%.0s' $(seq 30))
ok "otasim: hold each submit_sm_resp 2.5 s" test "$(e2e_sim_ctl 'fault stall-ms 2500')" = ok
e2e_job id un-4 type apdu iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    tar b00011 apdus "${apdus%,}" por none validity 60 >/dev/null
wait_grep 'job=un-4.*outcome unknown' "$TMP/otagw.log"
ok "otasim: answer at once again" test "$(e2e_sim_ctl 'fault stall-ms 0')" = ok
st=$(e2e_wait un-4 30)
ok "two SMs: the job ends delivered (got '$st')" test "$st" = delivered
ok "its events: received retry delivered" test "$(e2e_states un-4)" = "received retry delivered"
ok "it was two SMs, both delivered" \
    test "$(RCLI hmget ota:job:un-4 segments seg_ok | tr '\n' ' ')" = "2 3 "
ok "both late ids were mapped" \
    test "$(grep -c 'job=un-4.*late message id .* (SM [12]/2, attempt 1)' "$TMP/otagw.log")" = 2
ok "the card ran it once" test "$(e2e_card $E2E_ICCID_UICC executed)" = 4

# 5. retry_backoff above how late the SMSC answers
e2e_stop_gw
sed -i 's/^max_attempts = 3$/&\nretry_backoff = 15s/' "$E2E_CONF"
e2e_start_gw || { echo "not ok - otagw restart"; exit 1; }
ok "retry_backoff = 15s is in effect (--check-config)" \
    bash -c "'$OTAGW' -c '$E2E_CONF' --check-config | grep -qx 'retry_backoff = 15s'"
before=$(e2e_card $E2E_ICCID_UICC executed)
late_job un-5 9000 23418
st=$(e2e_wait un-5 30)
ok "9 s late, back-off 15 s: the receipt settles it (got '$st')" test "$st" = delivered
ok "its events: received retry delivered" test "$(e2e_states un-5)" = "received retry delivered"
ok "the card ran it once" test "$(e2e_card $E2E_ICCID_UICC executed)" = $((before + 1))

e2e_stop_gw
ok "otagw exits 0 on SIGTERM" test "$E2E_GW_RC" = 0
done_testing
