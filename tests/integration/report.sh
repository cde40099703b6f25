#!/bin/bash
# otactl report against a private redis-server holding a known mix of
# outcomes (report_data.sh: 13 jobs, DE/FR/BR and one unknown, carriers
# alpha and beta). Every count, percentage and percentile below was worked
# out by hand from that data (nearest rank: pX = the ceil(X/100*n)-th
# smallest sample); the table, JSON and CSV must show exactly them.
. tests/lib/harness.sh
. tests/lib/report_data.sh
OTACTL=$SAN_BUILD/otactl
start_redis
ok "events loaded" load_events ota:events
R="--redis 127.0.0.1:$REDIS_PORT"

cat >"$TMP/country.txt" <<'X'
otagw report: ota:events since all, events 2024-06-01T10:00:00Z .. 2024-06-01T10:05:02Z
13 jobs from 40 events

COUNTRY  JOBS  DELIVERED  CONFIRMED  REJECTED  FAILED  EXPIRED  OPEN
BR          4      50.0%      25.0%         1       0        0     2
DE          4      75.0%      50.0%         0       1        1     0
FR          4      50.0%      50.0%         0       2        0     0
unknown     1       0.0%       0.0%         1       0        0     0
all        13      53.8%      38.5%         2       3        1     2

LATENCY p50 / p95 / p99
COUNTRY        ENQUEUE->SUBMIT     SUBMIT->RECEIPT           RECEIPT->POR        ENQUEUE->FINAL
BR         900ms / 1.0s / 1.0s    2.0s / 45s / 45s  1m00s / 1m00s / 1m00s  50ms / 1m46s / 1m46s
DE       200ms / 400ms / 400ms  2.0s / 3.0s / 3.0s     3.0s / 5.0s / 5.0s  4.2s / 5m00s / 5m00s
FR       500ms / 700ms / 700ms  1.0s / 2.0s / 2.0s     2.0s / 6.0s / 6.0s      8.5s / 31s / 31s
unknown                      -                   -                      -                     -
all        400ms / 1.0s / 1.0s    2.0s / 45s / 45s   5.0s / 1m00s / 1m00s  7.3s / 5m00s / 5m00s

TOP FAILURES
COUNTRY  JOBS   SHARE  REASON
BR          1   25.0%  rejected: policy: BR is local-only, no compliant carrier
DE          1   25.0%  expired: no PoR before deadline
DE          1   25.0%  failed: command_status 0x00000045
FR          2   50.0%  failed: receipt UNDELIV err 001
unknown     1  100.0%  rejected: msisdn: must be E.164 digits
all         2   15.4%  failed: receipt UNDELIV err 001
all         1    7.7%  expired: no PoR before deadline
all         1    7.7%  failed: command_status 0x00000045
all         1    7.7%  rejected: msisdn: must be E.164 digits
all         1    7.7%  rejected: policy: BR is local-only, no compliant carrier
X
ok "table by country: counts, shares, p50/p95/p99 per stage, failure mix" \
    diff -u "$TMP/country.txt" <($OTACTL report $R --since all)

cat >"$TMP/carrier.txt" <<'X'
otagw report: ota:events since all, events 2024-06-01T10:00:00Z .. 2024-06-01T10:05:02Z
13 jobs from 40 events

CARRIER  JOBS  DELIVERED  CONFIRMED  REJECTED  FAILED  EXPIRED  OPEN
alpha       5      80.0%      60.0%         0       1        1     0
beta        5      60.0%      40.0%         0       2        0     1
unknown     3       0.0%       0.0%         2       0        0     1
all        13      53.8%      38.5%         2       3        1     2

LATENCY p50 / p95 / p99
X
ok "table by carrier" diff -u "$TMP/carrier.txt" <($OTACTL report $R --since all --by carrier | sed -n 1,10p)

cat >"$TMP/both.txt" <<'X'
otagw report: ota:events since all, events 2024-06-01T10:00:00Z .. 2024-06-01T10:05:02Z
13 jobs from 40 events

COUNTRY  CARRIER  JOBS  DELIVERED  CONFIRMED  REJECTED  FAILED  EXPIRED  OPEN
BR       beta        2     100.0%      50.0%         0       0        0     1
BR       unknown     2       0.0%       0.0%         1       0        0     1
DE       alpha       4      75.0%      50.0%         0       1        1     0
FR       alpha       1     100.0%     100.0%         0       0        0     0
FR       beta        3      33.3%      33.3%         0       2        0     0
unknown  unknown     1       0.0%       0.0%         1       0        0     0
all                 13      53.8%      38.5%         2       3        1     2

LATENCY p50 / p95 / p99
X
ok "table by country,carrier" \
    diff -u "$TMP/both.txt" <($OTACTL report $R --since all --by country,carrier | sed -n 1,13p)

cat >"$TMP/json.txt" <<'X'
{"stream": "ota:events", "since": "all", "by": ["country"], "events": 40, "first_ms": 1717236000000, "last_ms": 1717236302400,
 "groups": [
  {"country": "BR", "jobs": 4, "delivered": 2, "delivered_pct": 50.0, "confirmed": 1, "confirmed_pct": 25.0, "rejected": 1, "failed": 0, "expired": 0, "open": 2,
    "latency_ms": {"enqueue_submit": {"n": 2, "p50": 900, "p95": 1000, "p99": 1000, "max": 1000}, "submit_receipt": {"n": 2, "p50": 2000, "p95": 45000, "p99": 45000, "max": 45000}, "receipt_por": {"n": 1, "p50": 60000, "p95": 60000, "p99": 60000, "max": 60000}, "enqueue_final": {"n": 2, "p50": 50, "p95": 105900, "p99": 105900, "max": 105900}},
    "failures": [{"reason": "rejected: policy: BR is local-only, no compliant carrier", "jobs": 1}]},
  {"country": "DE", "jobs": 4, "delivered": 3, "delivered_pct": 75.0, "confirmed": 2, "confirmed_pct": 50.0, "rejected": 0, "failed": 1, "expired": 1, "open": 0,
    "latency_ms": {"enqueue_submit": {"n": 4, "p50": 200, "p95": 400, "p99": 400, "max": 400}, "submit_receipt": {"n": 3, "p50": 2000, "p95": 3000, "p99": 3000, "max": 3000}, "receipt_por": {"n": 2, "p50": 3000, "p95": 5000, "p99": 5000, "max": 5000}, "enqueue_final": {"n": 4, "p50": 4200, "p95": 300400, "p99": 300400, "max": 300400}},
    "failures": [{"reason": "expired: no PoR before deadline", "jobs": 1}, {"reason": "failed: command_status 0x00000045", "jobs": 1}]},
  {"country": "FR", "jobs": 4, "delivered": 2, "delivered_pct": 50.0, "confirmed": 2, "confirmed_pct": 50.0, "rejected": 0, "failed": 2, "expired": 0, "open": 0,
    "latency_ms": {"enqueue_submit": {"n": 4, "p50": 500, "p95": 700, "p99": 700, "max": 700}, "submit_receipt": {"n": 2, "p50": 1000, "p95": 2000, "p99": 2000, "max": 2000}, "receipt_por": {"n": 2, "p50": 2000, "p95": 6000, "p99": 6000, "max": 6000}, "enqueue_final": {"n": 4, "p50": 8500, "p95": 30700, "p99": 30700, "max": 30700}},
    "failures": [{"reason": "failed: receipt UNDELIV err 001", "jobs": 2}]},
  {"country": "unknown", "jobs": 1, "delivered": 0, "delivered_pct": 0.0, "confirmed": 0, "confirmed_pct": 0.0, "rejected": 1, "failed": 0, "expired": 0, "open": 0,
    "latency_ms": {"enqueue_submit": {"n": 0}, "submit_receipt": {"n": 0}, "receipt_por": {"n": 0}, "enqueue_final": {"n": 0}},
    "failures": [{"reason": "rejected: msisdn: must be E.164 digits", "jobs": 1}]}
 ],
 "total":
  {"jobs": 13, "delivered": 7, "delivered_pct": 53.8, "confirmed": 5, "confirmed_pct": 38.5, "rejected": 2, "failed": 3, "expired": 1, "open": 2,
    "latency_ms": {"enqueue_submit": {"n": 10, "p50": 400, "p95": 1000, "p99": 1000, "max": 1000}, "submit_receipt": {"n": 7, "p50": 2000, "p95": 45000, "p99": 45000, "max": 45000}, "receipt_por": {"n": 5, "p50": 5000, "p95": 60000, "p99": 60000, "max": 60000}, "enqueue_final": {"n": 10, "p50": 7300, "p95": 300400, "p99": 300400, "max": 300400}},
    "failures": [{"reason": "failed: receipt UNDELIV err 001", "jobs": 2}, {"reason": "expired: no PoR before deadline", "jobs": 1}, {"reason": "failed: command_status 0x00000045", "jobs": 1}, {"reason": "rejected: msisdn: must be E.164 digits", "jobs": 1}, {"reason": "rejected: policy: BR is local-only, no compliant carrier", "jobs": 1}]}
}
X
ok "json" diff -u "$TMP/json.txt" <($OTACTL report $R --since all --format json)

cat >"$TMP/csv.txt" <<'X'
country,jobs,delivered,delivered_pct,confirmed,confirmed_pct,rejected,failed,expired,open,enqueue_submit_n,enqueue_submit_p50_ms,enqueue_submit_p95_ms,enqueue_submit_p99_ms,submit_receipt_n,submit_receipt_p50_ms,submit_receipt_p95_ms,submit_receipt_p99_ms,receipt_por_n,receipt_por_p50_ms,receipt_por_p95_ms,receipt_por_p99_ms,enqueue_final_n,enqueue_final_p50_ms,enqueue_final_p95_ms,enqueue_final_p99_ms,top_failure,top_failure_jobs
BR,4,2,50.0,1,25.0,1,0,0,2,2,900,1000,1000,2,2000,45000,45000,1,60000,60000,60000,2,50,105900,105900,"rejected: policy: BR is local-only, no compliant carrier",1
DE,4,3,75.0,2,50.0,0,1,1,0,4,200,400,400,3,2000,3000,3000,2,3000,5000,5000,4,4200,300400,300400,expired: no PoR before deadline,1
FR,4,2,50.0,2,50.0,0,2,0,0,4,500,700,700,2,1000,2000,2000,2,2000,6000,6000,4,8500,30700,30700,failed: receipt UNDELIV err 001,2
unknown,1,0,0.0,0,0.0,1,0,0,0,0,,,,0,,,,0,,,,0,,,,rejected: msisdn: must be E.164 digits,1
all,13,7,53.8,5,38.5,2,3,1,2,10,400,1000,1000,7,2000,45000,45000,5,5000,60000,60000,10,7300,300400,300400,failed: receipt UNDELIV err 001,2
X
$OTACTL report $R --since all --format csv >"$TMP/out.csv"
ok "csv" diff -u "$TMP/csv.txt" <(tr -d '\r' <"$TMP/out.csv")
ok "csv lines end in CRLF (RFC 4180)" test "$(grep -c $'\r$' "$TMP/out.csv")" = 6

# Paging: three entries per XRANGE gives the same report as one page.
ok "paged XRANGE (COUNT 3) reads every entry once" \
    diff -u "$TMP/json.txt" <($OTACTL report $R --since all --format json --page 3)

# --since: the stream ids' ms are the lower bound. Two jobs two hours ago,
# three ten minutes ago.
now=$(date +%s%3N)
for j in 1 2; do
    t=$((now - 7200000 + j))
    redis-cli -p "$REDIS_PORT" XADD recent "$t-*" job old$j state received country DE ts $t >/dev/null
done
for j in 1 2 3; do
    t=$((now - 600000 + j * 10))
    redis-cli -p "$REDIS_PORT" XADD recent "$t-*" job new$j state received country DE ts $t >/dev/null
    redis-cli -p "$REDIS_PORT" XADD recent "$((t + 5))-*" job new$j state submitted carrier alpha \
        country DE ts $((t + 5)) >/dev/null
done
ok "--since 1h leaves out older events" \
    test "$($OTACTL report $R --stream recent --since 1h | sed -n 2p)" = "3 jobs from 6 events"
ok "--since 3h takes them in" \
    test "$($OTACTL report $R --stream recent --since 3h | sed -n 2p)" = "5 jobs from 8 events"

# -c: [redis] of the gateway's config names the Redis and the stream.
cat >"$TMP/otagw.conf" <<X
[gateway]
name = test
[redis]
host = 127.0.0.1
port = $REDIS_PORT
stream_events = recent
X
ok "-c FILE reads [redis] host, port, stream_events" \
    test "$($OTACTL report -c "$TMP/otagw.conf" --since 3h | sed -n 2p)" = "5 jobs from 8 events"

# AUTH and SELECT from the config: a second redis-server with a password,
# the events in db 3.
REDIS_MAIN=$REDIS_PORT
start_redis --requirepass s3cret
redis-cli -p "$REDIS_PORT" -a s3cret -n 3 --no-auth-warning \
    XADD ota:events '*' job p1 state received country DE >/dev/null
cat >"$TMP/auth.conf" <<X
[redis]
port = $REDIS_PORT
password = s3cret
db = 3
X
ok "-c FILE: AUTH with the password, SELECT the db" \
    test "$($OTACTL report -c "$TMP/auth.conf" --since 1h | sed -n 2p)" = "1 jobs from 1 events"
sed -i 's/s3cret/wrong/' "$TMP/auth.conf"
$OTACTL report -c "$TMP/auth.conf" >/dev/null 2>"$TMP/err"
ok "wrong password: exit 1, AUTH named" sh -c "test $? = 1 && grep -q 'AUTH' '$TMP/err'"
REDIS_PORT=$REDIS_MAIN

# Malformed entries are skipped and said, never fatal.
redis-cli -p "$REDIS_PORT" XADD recent '*' state received >/dev/null
redis-cli -p "$REDIS_PORT" XADD recent '*' job z state sideways >/dev/null
$OTACTL report $R --stream recent --since 3h >"$TMP/skip.out" 2>"$TMP/skip.err"
ok "malformed events skipped with a warning" grep -q "2 malformed events skipped" "$TMP/skip.err"
ok "... and the report still printed" grep -q "5 jobs from 8 events" "$TMP/skip.out"

# An empty stream is not an error.
ok "empty stream: 0 jobs" test "$($OTACTL report $R --stream nothing --since all | sed -n 2p)" = "0 jobs from 0 events"

# Errors: clear message and exit status.
dead=$(free_port)
$OTACTL report --redis 127.0.0.1:$dead --since all >/dev/null 2>"$TMP/err"
ok "Redis down: exit 1" test $? = 1
ok "Redis down: says which Redis" grep -q "redis 127.0.0.1:$dead" "$TMP/err"
$OTACTL report $R --by planet >/dev/null 2>"$TMP/err"
ok "bad --by: exit 2 with the reason" sh -c "test $? = 2 && grep -q 'want country, carrier' '$TMP/err'"
$OTACTL report $R --since yesterday >/dev/null 2>&1
ok "bad --since: exit 2" test $? = 2
$OTACTL report $R --format xml >/dev/null 2>&1
ok "bad --format: exit 2" test $? = 2
redis-cli -p "$REDIS_PORT" SET notastream 1 >/dev/null
$OTACTL report $R --stream notastream --since all >/dev/null 2>"$TMP/err"
ok "key of the wrong type: exit 1 with Redis's reason" sh -c "test $? = 1 && grep -q WRONGTYPE '$TMP/err'"

# --- the real otagw: a rejected job counts under its msisdn's country ----
# Jobs rejected at every stage: by the validator (another field bad, the
# msisdn fine), by the intake (card unknown), by the daemon (keyset not in
# the keystore: before routing; local-only policy: at routing). Each is
# counted under the country of its msisdn by the E.164 table otagw routes
# by; `unknown` only when no country can be known (msisdn missing, invalid,
# or a global service number such as +800 that has none).
. tests/lib/e2e.sh
E2E_METRICS=1
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register
e2e_card_add 8934000000000000031 nokeys uicc 34612345678
e2e_job id rj-de type config iccid 12 msisdn +4915112345678 file fplmn value 23415 >/dev/null
e2e_job id rj-badnum type config iccid $E2E_ICCID_UICC msisdn 12ab5678 file fplmn value 23415 >/dev/null
e2e_job id rj-nonum type config iccid $E2E_ICCID_UICC file fplmn value 23415 >/dev/null
e2e_job id rj-card-fr type config iccid 8933000000000000032 msisdn +33612345678 \
    file fplmn value 23415 >/dev/null
e2e_job id rj-global type config iccid 8933000000000000033 msisdn +80012345678 \
    file fplmn value 23415 >/dev/null
e2e_job id rj-keyset-es type config iccid 8934000000000000031 msisdn 34612345678 \
    file fplmn value 23415 >/dev/null
e2e_job id rj-policy-cn type config iccid $E2E_ICCID_CN msisdn $E2E_MSISDN_CN \
    file fplmn value 23415 >/dev/null
e2e_job id ok-gb type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 >/dev/null
for j in rj-de rj-badnum rj-nonum rj-card-fr rj-global rj-keyset-es rj-policy-cn; do
    st=$(e2e_wait $j 10)
    ok "$j: rejected (got '$st')" test "$st" = rejected
done
st=$(e2e_wait ok-gb 20)
ok "ok-gb: confirmed (got '$st')" test "$st" = confirmed
R="--redis 127.0.0.1:$REDIS_PORT"
$OTACTL report $R --since all --format csv | tr -d '\r' >"$TMP/live.csv"
# country, jobs, confirmed, rejected
cat >"$TMP/live.want" <<'X'
CN 1 0 1
DE 1 0 1
ES 1 0 1
FR 1 0 1
GB 1 1 0
unknown 3 0 3
all 8 1 7
X
ok "report: each rejected job under its msisdn's country, unknown only without one" \
    diff -u "$TMP/live.want" <(awk -F, 'NR > 1 {print $1, $2, $5, $7}' "$TMP/live.csv")
ok "... the unknown ones are the msisdn missing, invalid and without a country" \
    test "$(for j in rj-badnum rj-nonum rj-global; do RCLI HGET ota:job:$j route_country; done | paste -sd,)" = ",,"
event_country() { # JOB STATE: the country field of the job's event in that state
    RCLI XRANGE ota:events - + | awk -v id="$1" -v st="$2" '
        { f[n++] = $0 }
        END {
            for (i = 0; i < n; i++) if (f[i] == "job" && f[i + 1] == id) {
                s = ""; c = ""
                for (j = i; j < n && j < i + 20; j += 2) {
                    if (f[j] == "state") s = f[j + 1]
                    if (f[j] == "country") c = f[j + 1]
                }
                if (s == st) print c
            }
        }'
}
ok "... rejected by the validator: its event names DE" test "$(event_country rj-de rejected)" = DE
ok "... rejected by the intake (card unknown): FR" test "$(event_country rj-card-fr rejected)" = FR
ok "... rejected by the daemon before routing (keyset): ES" test "$(event_country rj-keyset-es rejected)" = ES
ok "... a valid job's received event names its country already" \
    test "$(event_country ok-gb received)" = GB
# /metrics: every rejected job is counted once, under its msisdn's country
# (`other` where the report says unknown), whoever rejected it: the
# validator and the intake (card unknown) as well as the daemon. The
# metric and the report agree.
curl -s "http://127.0.0.1:$E2E_METRICS_PORT/metrics" >"$TMP/live.metrics"
grep '^otagw_jobs_total{.*state="rejected"' "$TMP/live.metrics" |
    sed 's/.*country="\([^"]*\)".*} /\1 /' | LC_ALL=C sort >"$TMP/rej.metrics"
printf 'CN 1\nDE 1\nES 1\nFR 1\nother 3\n' >"$TMP/rej.want"
ok "metrics: each rejection once, under CN, DE, ES, FR and other (3)" \
    diff -u "$TMP/rej.want" "$TMP/rej.metrics"
stage_sum() { awk -v s="stage=\"$1\"" '/^otagw_jobs_rejected_total\{/ && index($0, s) { n += $NF } END { print n + 0 }' "$TMP/live.metrics"; }
ok "metrics: 5 rejected at intake (3 validator, badnum/nonum/de; card; global card)" \
    test "$(stage_sum intake)" = 5
ok "metrics: 2 rejected by the daemon (keyset ES, policy CN)" test "$(stage_sum prepare)" = 2
done_testing
