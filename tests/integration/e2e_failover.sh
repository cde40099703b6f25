#!/bin/bash
# e2e_failover.sh — two otagw on one stream; one is SIGKILLed while it
# holds jobs leased and unsent, the other finishes them (docs/queue.md
# "Leases", docs/reliability.md).
#
# Instance A's carrier allows 1 submit per second, so A takes all 20 jobs
# at once and keeps most of them queued unsent for many leases (lease 3 s,
# claim_idle 4 s, scan 500 ms). While A lives, B (same stream, same SMSC
# account, no TPS limit) must take none of them: A renews their leases.
# Then A is SIGKILLed: B must take over what A still held and finish every
# job within lease + claim_idle + scan seconds; each job ends confirmed
# exactly once, and no (card, keyset, counter) reaches a card twice.
#
# FAILOVER_STOP=1 (e2e_lease_lost.sh): A is SIGSTOPped instead, for as long
# as B needs to finish every job, then SIGCONTed. A's next lease renewal
# learns that B took its jobs over: A must cancel the SMs it still holds
# queued (gw_link_cancel) instead of sending them, so each card runs its
# command once (at most one SM may leave A at once, by its 1/s TPS, before
# the renewal's answer comes back).
. tests/lib/e2e.sh

N=20
LEASE=3 CLAIM=4 SCAN_MS=500
# A stopped answers nothing: receipts and PoRs go to the bind that sent.
[ -z "${FAILOVER_STOP:-}" ] || E2E_SIM_ARGS="--deliver-on same"
E2E_CARDS_EXTRA=$(e2e_cards_series 21 $N)

start_redis || exit 1
e2e_write_keystore "$E2E/keys.ini"
e2e_write_cards "$E2E/cards.ini"
e2e_start_sim || { echo "not ok - start otasim"; exit 1; }
E2E_WINDOW=1
E2E_CONF=$E2E/a.conf
e2e_write_config "$E2E_CONF"
# [redis]: the lease keys; A's carrier: 1 submit per second.
lease_keys="lease = ${LEASE}s\nclaim_idle = ${CLAIM}s\nscan_interval = ${SCAN_MS}ms"
sed -i -e "s/^port = $REDIS_PORT\$/&\n$lease_keys/" -e 's/^window = 1$/&\ntps = 1/' \
    -e 's/^name = e2e$/name = fo-a/' "$E2E_CONF"
sed -e 's/^tps = 1$//' -e 's/^window = 1$/window = 10/' -e 's/^name = fo-a$/name = fo-b/' \
    "$E2E_CONF" >"$E2E/b.conf"
ok "the lease keys load (--check-config)" \
    bash -c "'$OTAGW' -c '$E2E/a.conf' --check-config | grep -qx 'claim_idle = ${CLAIM}s'"
e2e_start_gw || { echo "not ok - start otagw A"; exit 1; }
A_PID=$OTAGW_PID
for i in $(seq -w 1 $N); do
    RCLI HSET "ota:card:89440000000000021$i" keyset ks1 class uicc >/dev/null
done

# received events of the jobs (A takes them all: B is not running yet).
count_events() { # count_events STATE: events in that state
    RCLI XRANGE ota:events - + | grep -cx "$1"
}
for i in $(seq -w 1 $N); do
    e2e_job id "fo-$i" type config iccid "89440000000000021$i" msisdn "4477009021$i" \
        file fplmn value 23415 >/dev/null
done
wait_for_() { # wait_for_ SECS CMD...: poll CMD every 50 ms
    local n=$(($1 * 20))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}
all_received() { test "$(count_events received)" = $N; }
ok "A took all $N jobs" wait_for_ 10 all_received

spawn otagwb "$OTAGW" -c "$E2E/b.conf"
B_PID=$otagwb_PID
ok "B started and takes jobs" wait_for_ 15 grep -q 'taking jobs' "$TMP/otagwb.log"

# Several leases long: A sends about one job a second and holds the rest.
sleep $((LEASE + CLAIM + 2))
finals() { # jobs in a final state
    local n=0 i st
    for i in $(seq -w 1 $N); do
        st=$(RCLI HGET "ota:job:fo-$i" state)
        case $st in confirmed | failed | expired | rejected) n=$((n + 1)) ;; esac
    done
    echo $n
}
open=""
for i in $(seq -w 1 $N); do
    case $(RCLI HGET "ota:job:fo-$i" state) in
    confirmed | failed | expired | rejected) ;;
    *) open="$open fo-$i" ;;
    esac
done
nopen=$(echo $open | wc -w)
ok "A is still holding jobs unsent ($nopen of $N)" test "$nopen" -ge 5
ok "while A lives, B sends none of them (its log has no 'sending')" \
    bash -c "! grep -q '\] sending' '$TMP/otagwb.log'"
ok "... every job still on attempt 1 (no takeover)" \
    test "$(for i in $(seq -w 1 $N); do RCLI HGET "ota:job:fo-$i" attempt; done | sort -u)" = 1
ok "... the ones open are leased to A" \
    test "$(for j in $open; do RCLI HGET "ota:job:$j" lease_owner; done | grep -c '^fo-a-')" = "$nopen"

t0=$(date +%s%3N)
if [ -n "${FAILOVER_STOP:-}" ]; then
    kill -STOP "$A_PID"
else
    kill -9 "$A_PID"
    wait "$A_PID" 2>/dev/null
fi
bound=$((LEASE * 1000 + CLAIM * 1000 + SCAN_MS))
all_final() { test "$(finals)" = $N; }
sig=KILL
[ -z "${FAILOVER_STOP:-}" ] || sig=STOP
ok "after SIG$sig of A, B finishes all $N jobs" wait_for_ 20 all_final
t1=$(date +%s%3N)
ok "... within lease + claim_idle + scan = $bound ms (took $((t1 - t0)) ms)" test $((t1 - t0)) -le $bound
ok "... all confirmed" \
    test "$(for i in $(seq -w 1 $N); do RCLI HGET "ota:job:fo-$i" state; done | sort -u)" = confirmed
ok "... each with exactly one final event" \
    test "$(count_events confirmed)" = $N -a "$(count_events failed)" = 0 -a "$(count_events expired)" = 0
ok "B reclaimed A's pending entries" grep -q 'reclaimed [0-9]* pending job' "$TMP/otagwb.log"
ok "B sent every job A held (attempt 2)" \
    test "$(for j in $open; do RCLI HGET "ota:job:$j" attempt; done | sort -u)" = 2
ok "B sent nothing else" \
    test "$(grep -o '\[job=fo-[0-9]* carrier=sim\] sending' "$TMP/otagwb.log" | sort -u | wc -l)" = "$nopen"
if [ -n "${FAILOVER_STOP:-}" ]; then
    kill -CONT "$A_PID"
    ok "A, resumed, learns it lost the leases and cancels what it holds queued" \
        wait_for_ 10 grep -q 'lease lost to another instance: [1-9][0-9]* queued SM(s) cancelled' \
        "$TMP/otagw.log"
    sleep 2
    cancelled=$(grep -o 'lease lost to another instance: [0-9]* queued' "$TMP/otagw.log" |
        awk '{ n += $(NF - 1) } END { print n + 0 }')
    ok "... at least $((nopen - 2)) of the $nopen jobs it held (cancelled $cancelled)" \
        test "$cancelled" -ge $((nopen - 2))
    # Every job went out once (A before the stop, B after), plus at most
    # the SM A had in flight at the stop and the one it may send as it
    # wakes. Sending what it held (the code before) made it N + nopen; the
    # cards refused those as counter low, B's counters being newer.
    subs=$(e2e_sim_stat 'account\..*\.submits' 0)
    ok "... the SMSC took at most $((N + 2)) submit_sm in all (got $subs)" test "$subs" -le $((N + 2))
    ok "... each job still has exactly one final event" \
        test "$(count_events confirmed)" = $N -a "$(count_events failed)" = 0
    e2e_sim_ctl flush >/dev/null
    twice=0
    for i in $(seq -w 1 $N); do
        [ "$(e2e_card "89440000000000021$i" executed)" -ge 2 ] && twice=$((twice + 1))
    done
    ok "... at most one card ran its command twice (the SM A may send as it wakes; got $twice)" \
        test "$twice" -le 1
    kill "$A_PID"
    wait "$A_PID" 2>/dev/null
fi
e2e_sim_ctl flush >/dev/null
ok "no (card, keyset, counter) reached a card twice (otasim's journal)" \
    test "$(grep -o 'iccid=[0-9]* keyset=[^ ]* cntr=[0-9]*' "$E2E/journal.log" | sort | uniq -d | wc -l)" = 0
ok "every card executed its packet" \
    test "$(grep 'executed=1' "$E2E/journal.log" | grep -o 'iccid=[0-9]*' | sort -u | wc -l)" = $N
done_testing
