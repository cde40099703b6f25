#!/bin/bash
# otactl report --html: one self-contained page, opened in headless
# Chromium. --dump-dom checks the figures it renders (the same hand-checked
# figures as report.sh), --screenshot checks it paints.
. tests/lib/harness.sh
. tests/lib/report_data.sh
OTACTL=$SAN_BUILD/otactl
start_redis
ok "events loaded" load_events ota:events
PAGE=$TMP/report.html
ok "--html writes the page" $OTACTL report --redis 127.0.0.1:$REDIS_PORT --since all --html "$PAGE"

# Self-contained: nothing to fetch, nothing to run.
ok "no script, no external asset" \
    sh -c "! grep -Eiq '<script|<link|<img|src=|href=|url\\(|@import' '$PAGE'"
ok "inline SVG charts (2 outcome, 4 latency, 1 failure mix)" test "$(grep -c '<svg ' "$PAGE")" = 7

chrome() {
    _prof=$(mktemp -d "$TMP/chrome.XXXXXX")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$_prof" "$@" "file://$PAGE" 2>>"$TMP/chrome.err"
}
ok "chromium is installed (tools/bootstrap.sh)" command -v chromium
chrome --dump-dom >"$TMP/dom.html"
# The page's text as a reader sees it: one line, tags and tooltips removed.
tr '\n' ' ' <"$TMP/dom.html" | sed -e 's/<title>[^<]*<\/title>//g' -e 's/<[^>]*>/ /g' \
    -e 's/  */ /g' >"$TMP/dom.txt"
has() { grep -qF -- "$1" "$TMP/dom.txt"; }
ok "rendered: title and window" \
    has "OTA delivery report Stream ota:events · since all · events 2024-06-01T10:00:00Z to 2024-06-01T10:05:02Z · 40 events"
ok "rendered: headline 13 jobs, 53.8% delivered, 38.5% confirmed, 6 failed, p95 5m00s" \
    has "13 jobs 53.8% delivered (receipt) 38.5% confirmed by the SIM (PoR) 6 rejected, failed or expired 5m00s p95 intake to final"
ok "rendered: success by country" \
    has "BR 4 jobs 25.0% confirmed (50.0% deliv.) DE 4 jobs 50.0% confirmed (75.0% deliv.) FR 4 jobs 50.0% confirmed (50.0% deliv.) unknown 1 job 0.0% confirmed (0.0% deliv.)"
ok "rendered: success by carrier" \
    has "alpha 5 jobs 60.0% confirmed (80.0% deliv.) beta 5 jobs 40.0% confirmed (60.0% deliv.) unknown 3 jobs 0.0% confirmed (0.0% deliv.)"
ok "rendered: latency per stage, p50/p95/p99" \
    sh -c "grep -qF 'Intake to submit_sm 10 jobs · p50 400ms · p95 1.0s · p99 1.0s' '$TMP/dom.txt' &&
           grep -qF 'submit_sm to delivery receipt 7 jobs · p50 2.0s · p95 45s · p99 45s' '$TMP/dom.txt' &&
           grep -qF 'Receipt to Proof of Receipt 5 jobs · p50 5.0s · p95 1m00s · p99 1m00s' '$TMP/dom.txt' &&
           grep -qF 'Intake to final state 10 jobs · p50 7.3s · p95 5m00s · p99 5m00s' '$TMP/dom.txt'"
ok "rendered: failure mix, most first" \
    has "Failure mix failed: receipt UNDELIV err 001 2 (33.3% of failures) expired: no PoR before deadline 1 (16.7% of failures) failed: command_status 0x00000045 1 (16.7% of failures) rejected: msisdn: must be E.164 digits 1 (16.7% of failures) rejected: policy: BR is local-only, no compliant carrier 1 (16.7% of failures)"
ok "rendered: country x carrier rows" \
    sh -c "grep -qF 'FR beta 3 33.3% 33.3% 0 2 0 0 700ms 2.0s 6.0s failed: receipt UNDELIV err 001 (2)' '$TMP/dom.txt' &&
           grep -qF 'all 13 53.8% 38.5% 2 3 1 2 1.0s 45s 1m00s failed: receipt UNDELIV err 001 (2)' '$TMP/dom.txt'"
ok "rendered: bar tooltips carry exact counts" \
    sh -c "grep -qF 'BR: open 1 (25.0%)' '$TMP/dom.html' && grep -qF 'DE: expired 1 (25.0%)' '$TMP/dom.html'"

chrome --window-size=1100,2000 --screenshot="$TMP/shot.png" >/dev/null
ok "screenshot taken, a PNG" sh -c "head -c 8 '$TMP/shot.png' | od -An -tx1 | grep -q '89 50 4e 47'"
# A blank or unstyled page compresses to a few kB; this one has colour.
ok "screenshot is not blank" test "$(stat -c %s "$TMP/shot.png")" -gt 60000
[ "${KEEP_SHOT:-}" ] && cp "$TMP/shot.png" "$KEEP_SHOT"
done_testing
