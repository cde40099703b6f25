#!/bin/bash
# e2e_crossing.sh — two otagw sharing one stream, with every receipt and
# every PoR crossing to the other instance's bind (docs/DESIGN.md "More than
# one machine": correlation lives in Redis, so the evidence of an SM finds
# its job whichever instance receives it).
#
# otasim --deliver-on other: the receipt and the card's PoR of an SM that
# instance A submitted come back on B's session, and the other way round.
# Every job must end confirmed exactly once; each instance must have
# submitted some SMs and recorded receipts and PoRs of jobs it did not
# submit — and of none it did.
. tests/lib/e2e.sh

N=20
E2E_CARDS_EXTRA=$(e2e_cards_series 31 $N)
E2E_SIM_ARGS="--deliver-on other"
e2e_start || { echo "not ok - start redis, otasim, otagw A"; exit 1; }
sed 's/^name = e2e$/name = e2e-b/' "$E2E_CONF" >"$E2E/b.conf"
spawn otagwb "$OTAGW" -c "$E2E/b.conf"
wait_grep 'taking jobs' "$TMP/otagwb.log"
ok "both instances take jobs" grep -q 'taking jobs' "$TMP/otagwb.log"
for i in $(seq -w 1 $N); do
    RCLI HSET "ota:card:89440000000000031$i" keyset ks1 class uicc >/dev/null
done
# Each XADD wakes the instance whose blocking read came first: the jobs
# alternate between the two.
for i in $(seq -w 1 $N); do
    e2e_job id "x-$i" type config iccid "89440000000000031$i" msisdn "4477009031$i" \
        file fplmn value 23415 >/dev/null
done
nconf=0
for i in $(seq -w 1 $N); do
    [ "$(e2e_wait "x-$i" 30)" = confirmed ] && nconf=$((nconf + 1))
done
ok "all $N jobs confirmed" test $nconf = $N
ok "... each with one confirmed event and no other final one" \
    test "$(RCLI XRANGE ota:events - + | grep -cx confirmed)" = $N -a \
    "$(RCLI XRANGE ota:events - + | grep -cxE 'failed|expired|rejected')" = 0

# Per instance, from its log: the jobs it submitted, and the jobs of the
# receipts and PoRs it recorded.
submitted() { sed -n 's/.*\[job=\(x-[0-9]*\) carrier=sim\] submitted: .*/\1/p' "$1" | sort -u; }
receipts() { sed -n 's/.* receipt \[carrier=sim msgid=[^ ]* job=\(x-[0-9]*\)\] .* -> .*/\1/p' "$1" | sort -u; }
pors() { sed -n 's/.* por \[msisdn=[^ ]* tar=[^ ]* cntr=[0-9]* job=\(x-[0-9]*\)\] -> .*/\1/p' "$1" | sort -u; }
for x in otagw otagwb; do
    submitted "$TMP/$x.log" >"$TMP/$x.sub"
    receipts "$TMP/$x.log" >"$TMP/$x.rcpt"
    pors "$TMP/$x.log" >"$TMP/$x.por"
done
ok "the jobs split between the two ($(wc -l <"$TMP/otagw.sub") + $(wc -l <"$TMP/otagwb.sub"))" \
    test -s "$TMP/otagw.sub" -a -s "$TMP/otagwb.sub"
ok "... each job submitted by one instance only, every job by one" \
    test "$(cat "$TMP/otagw.sub" "$TMP/otagwb.sub" | sort | uniq -d | wc -l)" = 0 -a \
    "$(cat "$TMP/otagw.sub" "$TMP/otagwb.sub" | sort -u | wc -l)" = $N
for pair in "otagw otagwb A" "otagwb otagw B"; do
    set -- $pair
    ok "$3 recorded receipts of jobs it did not submit ($(comm -23 "$TMP/$1.rcpt" "$TMP/$1.sub" | wc -l))" \
        test "$(comm -23 "$TMP/$1.rcpt" "$TMP/$1.sub" | wc -l)" -gt 0
    ok "$3 recorded PoRs of jobs it did not submit ($(comm -23 "$TMP/$1.por" "$TMP/$1.sub" | wc -l))" \
        test "$(comm -23 "$TMP/$1.por" "$TMP/$1.sub" | wc -l)" -gt 0
    ok "... and no receipt or PoR of a job it submitted itself (all crossed)" \
        test "$(cat "$TMP/$1.rcpt" "$TMP/$1.por" | sort -u | comm -12 - "$TMP/$1.sub" | wc -l)" = 0
done
ok "every job's receipt and PoR were recorded by the other instance" \
    test "$(cat "$TMP/otagw.por" "$TMP/otagwb.por" | sort -u | wc -l)" = $N
e2e_sim_ctl flush >/dev/null
ok "otasim never fell back to the submitting session (smsc.deliver_fallback 0)" \
    test "$(e2e_sim_stat 'smsc\.deliver_fallback')" = 0
ok "no (card, keyset, counter) twice (otasim's journal)" \
    test "$(grep -o 'iccid=[0-9]* keyset=[^ ]* cntr=[0-9]*' "$E2E/journal.log" | sort | uniq -d | wc -l)" = 0
done_testing
