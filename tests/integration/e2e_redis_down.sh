#!/bin/bash
# e2e_redis_down.sh — Redis goes away while the SMSC delivers the receipt
# and the PoR of a job: otagw must answer those deliver_sm with
# ESME_RX_T_APPN (SMPP 3.4 §5.1.3) instead of OK, otasim delivers them
# again, and once Redis is back the job still ends `confirmed` with its
# `delivered` step: nothing the SMSC said is lost.
. tests/lib/e2e.sh
E2E_REDIS_ARGS="--appendonly yes --appendfsync always"
E2E_SIM_ARGS="--receipt-delay-ms 1500 --por-delay-ms 1800 --redeliver-ms 300"
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

e2e_job id rd-1 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 >/dev/null
st=$(e2e_wait rd-1 10 "submitted")
ok "job submitted while Redis is up (got '$st')" test "$st" = submitted

kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
# The receipt (1.5 s) and the PoR (1.8 s) arrive while Redis is down.
n=0
until grep -q 'receipt.*answered ESME_RX_T_APPN' "$TMP/otagw.log" &&
    grep -q 'mo.*answered ESME_RX_T_APPN' "$TMP/otagw.log" || [ $n -ge 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
ok "receipt refused with ESME_RX_T_APPN while Redis is down" \
    grep -q 'receipt.*redis down: receipt answered ESME_RX_T_APPN' "$TMP/otagw.log"
ok "PoR refused with ESME_RX_T_APPN while Redis is down" \
    grep -q 'mo.*redis down: mo answered ESME_RX_T_APPN' "$TMP/otagw.log"
sleep 1
e2e_redis_back

st=$(e2e_wait rd-1 20)
ok "after Redis is back the job is confirmed (got '$st')" test "$st" = confirmed
ok "its events: received submitted delivered confirmed" \
    test "$(e2e_states rd-1)" = "received submitted delivered confirmed"
red=$(e2e_sim_stat 'account\.carrier\.redelivered')
ok "otasim delivered the refused deliver_sm again (redelivered=$red)" test "${red:-0}" -ge 2
ok "the card ran the packet once" test "$(e2e_card $E2E_ICCID_UICC executed)" = 1

e2e_stop_gw
ok "otagw exits 0 on SIGTERM" test "$E2E_GW_RC" = 0
