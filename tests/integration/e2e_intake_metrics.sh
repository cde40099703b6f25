#!/bin/bash
# e2e_intake_metrics.sh — rejections and duplicates in /metrics, end to end
# (redis-server, otasim, otagw): every job rejected at intake (the queue's
# validation, a card with no record) or while being prepared (keyset not in
# the keystore, a local-only country) is one otagw_jobs_rejected_total with
# its stage, reason class and the msisdn's country, and one
# otagw_jobs_total{state="rejected"}; every entry reusing an accepted id is
# one otagw_jobs_duplicate_total. Exact values, scraped with curl; a good
# job moves none of them, and no rejection is counted twice.
. tests/lib/e2e.sh
E2E_METRICS=1
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

scrape() { e2e_scrape; }
mval() { e2e_mval "$@"; }
msum() { e2e_msum "$@"; }
# wait_scraped FN NAME VALUE: scrapes until FN NAME (mval or msum) gives
# VALUE (10 s bound).
wait_scraped() {
    local n=200
    until [ "$(scrape >"$TMP/w.txt"; "$1" "$2" "$TMP/w.txt")" = "$3" ]; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}
ndup() { e2e_states "$1" | tr ' ' '\n' | grep -c '^duplicate$'; }
wait_for_dup() { # ID N: the job has N duplicate events (10 s bound)
    local n=200
    until [ "$(ndup "$1")" = "$2" ]; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}
R_TOTAL='otagw_jobs_rejected_total'
DUP='otagw_jobs_duplicate_total'
GOOD="type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC file fplmn value"

scrape >"$TMP/s0.txt"
ok "before any job: the rejected family is declared, with no sample" \
    bash -c "grep -q '^# TYPE $R_TOTAL counter$' '$TMP/s0.txt' && ! grep -q '^$R_TOTAL{' '$TMP/s0.txt'"
ok "before any job: $DUP is 0" test "$(mval $DUP "$TMP/s0.txt")" = 0

# A good job moves none of the rejection counters.
e2e_job id g-1 $GOOD 23415 >/dev/null
ok "g-1 confirmed" test "$(e2e_wait g-1)" = confirmed
scrape >"$TMP/s1.txt"
ok "a good job: no rejection counted" test "$(msum $R_TOTAL "$TMP/s1.txt")" = 0
ok "a good job: otagw_jobs_total has no rejected" \
    test "$(msum otagw_jobs_total "$TMP/s1.txt" 'state="rejected"')" = 0
ok "a good job: $DUP still 0" test "$(mval $DUP "$TMP/s1.txt")" = 0
ok "a good job: counted confirmed" test "$(msum otagw_jobs_total "$TMP/s1.txt" 'state="confirmed"')" = 1

# Rejected at intake: the field that failed, the msisdn's country when that
# field alone is valid (GB: 44..., CN: 86...), else other.
UICC="iccid $E2E_ICCID_UICC"
e2e_job id b-msisdn1 type config $UICC msisdn 12ab file fplmn value 23415 >/dev/null
e2e_job id b-msisdn2 type config $UICC msisdn 4477009000x1 file fplmn value 23415 >/dev/null
e2e_job id b-iccid type config iccid 12 msisdn $E2E_MSISDN_UICC file fplmn value 23415 >/dev/null
e2e_job id b-iccid-cn type config iccid 12 msisdn $E2E_MSISDN_CN file fplmn value 23415 >/dev/null
e2e_job id b-type type reboot $UICC msisdn $E2E_MSISDN_UICC >/dev/null
e2e_job id b-notype $UICC msisdn $E2E_MSISDN_UICC file fplmn value 23415 >/dev/null
e2e_job id b-field $GOOD 23415 colour red >/dev/null
e2e_job id b-slot $GOOD 23415 slot 1 >/dev/null
# Valid, but its card has no record and it names no keyset (the library).
e2e_job id b-card type config iccid 8944000000000000099 msisdn 447700900099 \
    file fplmn value 23415 >/dev/null
# Rejected while prepared by the daemon: the step.
e2e_job id p-keyset $GOOD 23415 keyset nope >/dev/null
e2e_job id p-route type config iccid $E2E_ICCID_CN msisdn $E2E_MSISDN_CN \
    file fplmn value 23415 >/dev/null
# Duplicates: a valid entry and a malformed one reusing g-1, a third entry
# for b-type (a rejected job is a job: its id is taken too).
e2e_job id g-1 $GOOD 23416 >/dev/null
e2e_job id g-1 type reboot $UICC msisdn $E2E_MSISDN_UICC >/dev/null
e2e_job id b-type $GOOD 23415 >/dev/null

bad="b-msisdn1 b-msisdn2 b-iccid b-iccid-cn b-type b-notype b-field b-slot b-card p-keyset p-route"
nrej=0
for j in $bad; do
    st=$(e2e_wait $j 10)
    ok "$j: rejected (got '$st')" test "$st" = rejected
    [ "$st" = rejected ] && nrej=$((nrej + 1))
done
ok "g-1: the first entry's job untouched (confirmed)" test "$(e2e_wait g-1)" = confirmed
ok "g-1: two duplicate events" wait_for_dup g-1 2
ok "b-type: one duplicate event" wait_for_dup b-type 1
# The counters come from the replies of the same calls: wait for the last
# ones, then take a scrape a moment later (a count twice would show there).
ok "$DUP reaches 3" wait_scraped mval $DUP 3
ok "rejections reach $nrej" wait_scraped msum $R_TOTAL $nrej
sleep 0.5
scrape >"$TMP/s2.txt"

expect() { # SERIES VALUE
    ok "$1 = $2" test "$(mval "$1" "$TMP/s2.txt")" = "$2"
}
expect "$R_TOTAL{stage=\"intake\",reason=\"msisdn\",country=\"other\"}" 2
expect "$R_TOTAL{stage=\"intake\",reason=\"iccid\",country=\"GB\"}" 1
expect "$R_TOTAL{stage=\"intake\",reason=\"iccid\",country=\"CN\"}" 1
expect "$R_TOTAL{stage=\"intake\",reason=\"type\",country=\"GB\"}" 2
expect "$R_TOTAL{stage=\"intake\",reason=\"other\",country=\"GB\"}" 1
expect "$R_TOTAL{stage=\"intake\",reason=\"slot\",country=\"GB\"}" 1
expect "$R_TOTAL{stage=\"intake\",reason=\"card\",country=\"GB\"}" 1
expect "$R_TOTAL{stage=\"prepare\",reason=\"keyset\",country=\"GB\"}" 1
expect "$R_TOTAL{stage=\"prepare\",reason=\"route\",country=\"CN\"}" 1
expect "$DUP" 3
ok "no other rejection series (9 expected)" test "$(grep -c "^$R_TOTAL{" "$TMP/s2.txt")" = 9
ok "rejections: the sum is the jobs rejected in Redis ($nrej)" \
    test "$(msum $R_TOTAL "$TMP/s2.txt")" = "$nrej"
ok "otagw_jobs_total{state=rejected} agrees with it" \
    test "$(msum otagw_jobs_total "$TMP/s2.txt" 'state="rejected"')" = "$nrej"
ok "otagw_jobs_total: GB intake + prepare rejections under carrier other" \
    test "$(mval 'otagw_jobs_total{carrier="other",country="GB",state="rejected"}' "$TMP/s2.txt")" = 7
ok "no label value holds job text (no field value, no raw reason)" \
    bash -c "! grep -E '^$R_TOTAL\\{' '$TMP/s2.txt' | grep -qE 'reboot|colour|12ab|must|:'"

# Another good job afterwards: every rejection and duplicate series as it was.
e2e_job id g-2 $GOOD 23417 >/dev/null
ok "g-2 confirmed" test "$(e2e_wait g-2)" = confirmed
sleep 0.3
scrape >"$TMP/s3.txt"
ok "a good job after them: rejection series unchanged" \
    diff <(grep -E "^($R_TOTAL\\{|$DUP )" "$TMP/s2.txt") <(grep -E "^($R_TOTAL\\{|$DUP )" "$TMP/s3.txt")
ok "a good job after them: otagw_jobs_total{state=rejected} unchanged" \
    test "$(msum otagw_jobs_total "$TMP/s3.txt" 'state="rejected"')" = "$nrej"
ok "a good job after them: confirmed 2" \
    test "$(msum otagw_jobs_total "$TMP/s3.txt" 'state="confirmed"')" = 2
ok "the duplicate was logged with its job" grep -q 'job=g-1.*duplicate' "$TMP/otagw.log"

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
