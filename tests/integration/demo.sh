#!/bin/bash
# demo.sh — `make demo` (tests/demo.sh) as a user runs it, not on a
# terminal: it must exit 0, print its key lines, end every job as
# conf/demo/jobs expects, change the cards, and leave no process behind.
# Then the same demo with one wrong expectation must exit 1 and name the
# job, and a demo interrupted by ^C (SIGINT to its process group) must
# clean up too.
. tests/lib/harness.sh

# The demo's own temp folders go under ours: every process it starts has
# that path on its command line, which is how we look for leftovers.
DT=$TMP/demo-tmp
mkdir -p "$DT"
leftovers() { pgrep -af -- "$DT" || true; }
no_leftovers() {
    local n=40 l
    while [ "$n" -gt 0 ]; do
        l=$(leftovers)
        [ -z "$l" ] && return 0
        sleep 0.05
        n=$((n - 1))
    done
    echo "still running: $l"
    return 1
}

t0=$(date +%s%3N)
TMPDIR=$DT bash tests/demo.sh >"$TMP/out" 2>"$TMP/err"
rc=$?
ms=$(($(date +%s%3N) - t0))
sed 's/^/# /' "$TMP/out" | tail -n 60 >"$TMP/out.tap"

has() { grep -qE -- "$1" "$TMP/out" || { echo "no line matching: $1"; return 1; }; }
ok "demo exits 0 (got $rc, ${ms} ms)" test "$rc" = 0
ok "demo runs in under a minute (${ms} ms)" test "$ms" -lt 60000
ok "nothing on stderr" test ! -s "$TMP/err"
ok "header: redis-server, three carriers, otagw" \
    bash -c "grep -q '^  redis-server 127.0.0.1:' '$TMP/out' && [ \$(grep -c 'otasim       carrier' '$TMP/out') = 3 ] && grep -q '^  otagw ' '$TMP/out'"
ok "dry run of the first job: 10 C-APDUs, 2 SMs" has 'secured packet 138 octets \(SPI 1639 KIc 15 KID 15\): 2 SMs'
ok "progress: a final line 8/8 done" has '^  [0-9.]+m?s 8/8 done  confirmed 7  rejected 1$'
ok "jobs: BR trackers switched via br-home" \
    test "$(grep -cE '^  br-tracker-1[12] +BR +br-home +switch imsi +2 +confirmed' "$TMP/out")" = 2
ok "jobs: IN tracker via in-home" has '^  in-tracker-21 +IN +in-home +switch imsi +2 +confirmed'
ok "jobs: DE PLMN lists, GB profile, US applet via globalhub" \
    test "$(grep -cE '^  (de-meter-3[12]|gb-euicc-41|us-meter-51) +(DE|GB|US) +globalhub .* confirmed' "$TMP/out")" = 4
ok "jobs: the CN job rejected, saying why" \
    has '^  cn-tracker-61 .* rejected .*country CN is local-carrier-only and no configured carrier serves CN'
ok "history of the first job: received submitted delivered confirmed" \
    bash -c "sed -n '/^History of br-tracker-11/,/^\$/p' '$TMP/out' | awk '{ print \$2 }' | grep -E '^(received|submitted|delivered|confirmed)\$' | tr '\n' ' ' | grep -qx 'received submitted delivered confirmed '"
ok "cards: BR IMSI old -> new" has '^  8955010000000000011 +\+5511987650011 +IMSI 901280000000011 -> 724109900000011; EF_LOCI, EF_PSLOCI, EF_EPSLOCI invalidated'
ok "cards: DE EF_OPLMNwAcT decoded" has 'EF_OPLMNwAcT none -> 26201:utran\+eutran,26202:utran\+eutran,26203:utran\+eutran\+gsm'
ok "cards: DE EF_FPLMN decoded" has 'EF_FPLMN none -> 26207'
ok "cards: GB profile" has '^  8944010000000000041 .*enabled profile a000000559..00001100 -> a000000559..00001200'
ok "cards: US applet slot and IMSI" has '^  8901010000000000051 .*applet slot 1 -> 2; IMSI 901280000000051 -> 310150000000051'
ok "cards: the CN card unchanged, no packet" has '^  8986010000000000061 .*unchanged .*packets run: 0'
ok "otagw stopped with exit 0" has '^Stopped: otagw drained on SIGTERM and exited 0'
ok "summary: one row per country and carrier" \
    bash -c "for r in 'BR +br-home +2 ' 'DE +globalhub +2 ' 'GB +globalhub +1 ' 'IN +in-home +1 ' 'US +globalhub +1 ' 'all +8 '; do grep -qE \"^  \$r\" '$TMP/out' || { echo \"no row \$r\"; exit 1; }; done"
ok "summary: the rejection among the top failures" has 'rejected: country CN is local-carrier-only'
ok "final line: demo ok" has '^demo ok: 8/8 jobs ended as expected'
ok "no colour codes when not on a terminal" bash -c "! grep -q $'\e' '$TMP/out'"
ok "no process left behind (redis-server, otasim, otagw)" no_leftovers
ok "the demo's temp folder is removed" bash -c "[ -z \"\$(ls -A '$DT')\" ]"
[ "$rc" = 0 ] || cat "$TMP/out.tap"

# A wrong expectation: the demo must say which job and exit 1.
cp -r conf/demo "$TMP/fleet"
sed -i 's/^cn-tracker-61 | rejected /cn-tracker-61 | confirmed/' "$TMP/fleet/jobs"
sed -i 's/ imsi=404459900000021 / imsi=404459900000099 /' "$TMP/fleet/jobs"
DEMO_DIR=$TMP/fleet TMPDIR=$DT bash tests/demo.sh >"$TMP/out2" 2>&1
rc=$?
ok "wrong expectation: exit 1 (got $rc)" test "$rc" = 1
ok "wrong expectation: names the job and both states" \
    grep -q "cn-tracker-61: ended 'rejected', expected 'confirmed'" "$TMP/out2"
ok "wrong expectation: names the card check that failed" \
    grep -q "in-tracker-21: card 8991010000000000021 imsi is '404459900000021', expected '404459900000099'" "$TMP/out2"
ok "wrong expectation: demo FAILED line" grep -q '^demo FAILED: 2 thing' "$TMP/out2"
ok "wrong expectation: no process left behind" no_leftovers

# ^C while the jobs run: SIGINT to the demo's whole process group, as a
# terminal sends it. (perl restores SIGINT's default: a background job of
# a script starts with it ignored.)
: >"$TMP/out3"
DEMO_POR_MS=20000 TMPDIR=$DT setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' \
    bash tests/demo.sh >"$TMP/out3" 2>&1 &
pid=$!
n=200
until grep -q '^Running' "$TMP/out3" || [ "$n" -le 0 ]; do sleep 0.05; n=$((n - 1)); done
ok "^C: the demo was running its jobs" grep -q '^Running' "$TMP/out3"
sleep 0.3
kill -INT -- -"$pid" 2>/dev/null
n=200
while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
ok "^C: the demo exits" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
rc=$?
ok "^C: exit status 130 (got $rc)" test "$rc" = 130
ok "^C: says it stops what it started" grep -q '^demo: interrupted' "$TMP/out3"
ok "^C: no process left behind" no_leftovers
ok "^C: the demo's temp folder is removed" bash -c "[ -z \"\$(ls -A '$DT')\" ]"
done_testing
