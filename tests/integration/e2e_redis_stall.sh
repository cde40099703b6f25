#!/bin/bash
# e2e_redis_stall.sh — Redis stops answering (SIGSTOP) just before the
# receipt and the PoR of a job arrive, then dies (SIGKILL) and comes back
# from its AOF. otagw has already handed both to Redis when it dies, so
# "Redis is down" is not known when they arrive: the deliver_sm_resp must
# wait for the record (gw_link_deliver_defer). otagw answers ESME_RX_T_APPN
# once the record fails, otasim delivers them again, and the job ends
# `confirmed` with its `delivered` step. Answered OK on arrival (the old
# way), both were lost with the FCALL Redis never ran and the job expired
# although its card had done the work (docs/reliability.md, "evidence
# lost").
. tests/lib/e2e.sh
E2E_REDIS_ARGS="--appendonly yes --appendfsync always"
E2E_SIM_ARGS="--receipt-delay-ms 1500 --por-delay-ms 1800 --redeliver-ms 300"
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

e2e_job id rs-1 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 validity 60 >/dev/null
st=$(e2e_wait rs-1 10 "submitted")
ok "job submitted while Redis is up (got '$st')" test "$st" = submitted

kill -STOP "$REDIS_PID"
# The receipt (1.5 s) and the PoR (1.8 s) arrive while Redis hangs: otagw
# still sees its connections up and sends both.
sleep 2.6
ok "the card ran the packet while Redis hung" test "$(e2e_card $E2E_ICCID_UICC executed)" = 1
kill -KILL "$REDIS_PID"
kill -CONT "$REDIS_PID" 2>/dev/null
wait "$REDIS_PID" 2>/dev/null
wait_grep 'receipt.*not recorded.*ESME_RX_T_APPN' "$TMP/otagw.log"
ok "the receipt handed to the dead Redis is answered ESME_RX_T_APPN" \
    grep -q 'receipt.*not recorded.*answered ESME_RX_T_APPN' "$TMP/otagw.log"
sleep 0.5
e2e_redis_back

st=$(e2e_wait rs-1 30)
ok "after Redis is back the job is confirmed (got '$st')" test "$st" = confirmed
ok "its events: received submitted delivered confirmed" \
    test "$(e2e_states rs-1)" = "received submitted delivered confirmed"
red=$(e2e_sim_stat 'account\.carrier\.redelivered')
ok "otasim delivered the unrecorded receipt and PoR again (redelivered=$red)" \
    test "${red:-0}" -ge 2
ok "the card ran the packet once" test "$(e2e_card $E2E_ICCID_UICC executed)" = 1

e2e_stop_gw
ok "otagw exits 0 on SIGTERM" test "$E2E_GW_RC" = 0
done_testing
