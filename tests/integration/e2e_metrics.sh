#!/bin/bash
# e2e_metrics.sh — /metrics scraped during and after an end-to-end run agrees
# with what the simulator saw (issue #7): every SM otasim took is one
# otagw_submits_total, every receipt it sent one otagw_receipts_total, every
# PoR one otagw_por_total, and the jobs by final state match Redis. A scrape
# taken mid-run never exceeds the final one (counters only go up).
. tests/lib/e2e.sh
E2E_METRICS=1
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

scrape() { e2e_scrape; }
msum() { e2e_msum "$@"; }
# Sum of one otasim stats counter over its accounts.
ssum() { e2e_sim_stat "account\..*\.$1" 0; }

# Three rounds, one job per card and round (one job at a time per card, so
# no counter race makes a card answer "counter low"): the UICC's IMSI switch
# takes two SMs (ten C-APDUs), the others one.
n=0
for round in 1 2 3; do
    e2e_job id m-imsi-$round type switch iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
        method imsi imsi 22806280000030$round >/dev/null
    e2e_job id m-aes-$round type config iccid $E2E_ICCID_AES msisdn $E2E_MSISDN_AES \
        file fplmn value 2341$round >/dev/null
    e2e_job id m-plain-$round type config iccid $E2E_ICCID_PLAIN msisdn $E2E_MSISDN_PLAIN \
        file fplmn value 2621$round >/dev/null
    n=$((n + 3))
    [ "$round" = 1 ] && scrape >"$TMP/mid.txt"
    for j in m-imsi-$round m-aes-$round m-plain-$round; do e2e_wait "$j" >/dev/null; done
done
confirmed=0
for round in 1 2 3; do
    for j in m-imsi-$round m-aes-$round m-plain-$round; do
        [ "$(redis-cli -p "$REDIS_PORT" HGET "ota:job:$j" state)" = confirmed ] && confirmed=$((confirmed + 1))
    done
done
ok "all $n jobs confirmed (got $confirmed)" test "$confirmed" -eq "$n"
sleep 0.3 # the last PoR's counters are bumped in the same loop turn; be safe
scrape >"$TMP/end.txt"

sim_submits=$(ssum submits)
sim_receipts=$(ssum receipts)
sim_mo=$(ssum mo)
ok "otasim took more SMs than jobs (a 2-SM packet counts twice): $sim_submits" \
    test "$sim_submits" -gt "$n"
ok "otagw_submits_total = SMs otasim took ($(msum otagw_submits_total "$TMP/end.txt") vs $sim_submits)" \
    test "$(msum otagw_submits_total "$TMP/end.txt")" -eq "$sim_submits"
ok "otagw_bind_submits_total = SMs otasim took" \
    test "$(msum otagw_bind_submits_total "$TMP/end.txt")" -eq "$sim_submits"
ok "otagw_receipts_total = receipts otasim sent ($(msum otagw_receipts_total "$TMP/end.txt") vs $sim_receipts)" \
    test "$(msum otagw_receipts_total "$TMP/end.txt")" -eq "$sim_receipts"
ok "otagw_por_total = PoRs the cards sent ($(msum otagw_por_total "$TMP/end.txt") vs $sim_mo)" \
    test "$(msum otagw_por_total "$TMP/end.txt")" -eq "$sim_mo"
ok "otagw_jobs_total{state=confirmed} = confirmed jobs in Redis" \
    test "$(grep -E '^otagw_jobs_total\{[^}]*state="confirmed"' "$TMP/end.txt" | awk '{s += $NF} END {print s + 0}')" -eq "$n"
ok "no PoR failed verification" test "$(msum otagw_por_unverified_total "$TMP/end.txt")" -eq 0
ok "the mid-run scrape was taken before the end (fewer submits)" \
    test "$(msum otagw_submits_total "$TMP/mid.txt")" -lt "$(msum otagw_submits_total "$TMP/end.txt")"
monotonic() {
    local fam
    for fam in otagw_submits_total otagw_receipts_total otagw_por_total otagw_jobs_total; do
        [ "$(msum $fam "$TMP/mid.txt")" -le "$(msum $fam "$TMP/end.txt")" ] || {
            echo "$fam went down"
            return 1
        }
    done
}
ok "counters never go down between scrapes" monotonic
done_testing
