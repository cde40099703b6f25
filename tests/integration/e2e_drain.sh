#!/bin/bash
# e2e_drain.sh — SIGTERM while jobs are on their way: otagw stops taking
# jobs, lets the SMs in flight get their submit_sm_resp, hands the queued
# ones back unsent, unbinds, and exits 0. Nothing is lost: every job is
# either recorded as submitted (or further) or back in Redis with its lease
# released and its stream entry pending, for any instance to claim.
. tests/lib/e2e.sh
# otasim holds each submit_sm_resp 500 ms; the carrier's window is 2: at
# SIGTERM two SMs are in flight and the rest wait in the link's queue.
E2E_SIM_ARGS="--stall-ms 500"
E2E_WINDOW=2
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

N=6
for i in $(seq 1 $N); do
    e2e_job id drain-$i type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
        file fplmn value 2341$i >/dev/null
done
n=100
until [ "$(grep -c 'sending config' "$TMP/otagw.log")" -ge $N ] || [ $n -le 0 ]; do
    sleep 0.05
    n=$((n - 1))
done
ok "all $N jobs handed to the carrier link before SIGTERM" \
    test "$(grep -c 'sending config' "$TMP/otagw.log")" -ge $N

t0=$(date +%s%N)
e2e_stop_gw 20
t1=$(date +%s%N)
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
ok "SIGTERM: drained in under 10 s ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 10000
ok "log: everything drained" grep -q 'stopped: everything drained' "$TMP/otagw.log"
ok "log: the carrier unbound" grep -q '\[carrier=sim\] drained' "$TMP/otagw.log"

sent=0 released=0 lost=""
for i in $(seq 1 $N); do
    st=$(RCLI HGET ota:job:drain-$i state)
    lease=$(RCLI HEXISTS ota:job:drain-$i lease_owner)
    case "$st" in
    submitted | delivered | confirmed) sent=$((sent + 1)) ;;
    received | retry) if [ "$lease" = 0 ]; then released=$((released + 1)); else lost="$lost drain-$i($st,leased)"; fi ;;
    *) lost="$lost drain-$i($st)" ;;
    esac
done
ok "the SMs in flight were answered and recorded ($sent submitted)" test $sent -ge 1
ok "the queued ones were released unsent ($released released)" test $released -ge 1
ok "every job accounted for (sent + released = $N)${lost:+, not:$lost}" test $((sent + released)) = $N
ok "released jobs stay pending in the stream for any instance to claim" \
    test "$(RCLI XPENDING ota:jobs otagw | head -n 1)" = $released

# A new instance takes over on the same group and carrier. otasim still
# holds each submit_sm_resp 500 ms, so the card's PoR (30 ms) arrives first.
: >"$TMP/otagw.log"
e2e_start_gw || { echo "not ok - second otagw start"; exit 1; }
e2e_job id after type config iccid $E2E_ICCID_SIM msisdn $E2E_MSISDN_SIM file fplmn value 23415 >/dev/null
st=$(e2e_wait after 20)
ok "a second instance takes jobs after the drain (got '$st')" test "$st" = confirmed
ok "its PoR overtook the held submit_sm_resp, was kept and applied once the id was known" \
    bash -c "grep -q '\[msisdn=.* tar=b00010 cntr=1\] -> stashed' '$TMP/otagw.log' &&
        $(declare -f RCLI e2e_event); REDIS_PORT=$REDIS_PORT; e2e_event after confirmed |
        grep -q 'received before its submit was recorded'"
e2e_stop_gw
ok "second instance: SIGTERM exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
