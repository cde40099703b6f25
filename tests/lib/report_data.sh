# report_data.sh — sourced by tests/integration/report*.sh: a known mix of
# job outcomes across three countries (DE, FR, BR) and two carriers (alpha,
# beta), plus one job rejected before its country was known, written to
# $STREAM of the private redis-server as the daemon writes them (XADD with
# ids and ts in ms). docs/ops.md shows the report of exactly this data.
#
# T0 = 2024-06-01T10:00:00Z. Each job starts one second after the previous.
T0=1717236000000

# ev JOB_START_OFFSET_MS JOB STATE CARRIER COUNTRY DETAIL
EVENTS=""
ev() {
    EVENTS="$EVENTS$((T0 + $1))|$2|$3|$4|$5|$6
"
}

# DE, alpha: two confirmed, one expired waiting for its PoR, one refused by
# the SMSC at submit.
ev 0      d1 received  ""    DE ""
ev 200    d1 submitted alpha DE ""
ev 1200   d1 delivered alpha DE ""
ev 4200   d1 confirmed alpha DE ""
ev 1000   d2 received  ""    DE ""
ev 1300   d2 submitted alpha DE ""
ev 3300   d2 delivered alpha DE ""
ev 8300   d2 confirmed alpha DE ""
ev 2000   d3 received  ""    DE ""
ev 2400   d3 submitted alpha DE ""
ev 5400   d3 delivered alpha DE ""
ev 302400 d3 expired   alpha DE "no PoR before deadline"
ev 3000   d4 received  ""    DE ""
ev 3100   d4 submitted alpha DE ""
ev 3150   d4 failed    alpha DE "command_status 0x00000045 (ESME_RSUBMITFAIL)"
# FR: beta delivers one and loses two (UNDELIV), alpha delivers one.
ev 4000   f1 received  ""    FR ""
ev 4500   f1 submitted beta  FR ""
ev 6500   f1 delivered beta  FR ""
ev 12500  f1 confirmed beta  FR ""
ev 5000   f2 received  ""    FR ""
ev 5600   f2 submitted beta  FR ""
ev 25600  f2 failed    beta  FR "receipt UNDELIV err 001"
ev 6000   f3 received  ""    FR ""
ev 6250   f3 submitted alpha FR ""
ev 7250   f3 delivered alpha FR ""
ev 9250   f3 confirmed alpha FR ""
ev 7000   f4 received  ""    FR ""
ev 7700   f4 submitted beta  FR ""
ev 37700  f4 failed    beta  FR "receipt UNDELIV err 001"
# BR, beta: a slow one, one still waiting for its PoR, one refused by the
# local-only policy, one not submitted yet.
ev 8000   b1 received  ""    BR ""
ev 8900   b1 submitted beta  BR ""
ev 53900  b1 delivered beta  BR ""
ev 113900 b1 confirmed beta  BR ""
ev 9000   b2 received  ""    BR ""
ev 10000  b2 submitted beta  BR ""
ev 12000  b2 delivered beta  BR ""
ev 10000  b3 received  ""    BR ""
ev 10050  b3 rejected  ""    BR "policy: BR is local-only, no compliant carrier"
ev 11000  b4 received  ""    BR ""
# A job rejected at intake: no country, no carrier.
ev 12000  x1 rejected  ""    "" "msisdn: must be E.164 digits (5..15), got '12ab'"

# load_events STREAM: XADD them in time order (stream ids must grow).
load_events() {
    printf '%s' "$EVENTS" | sort -n -k1,1 -s | while IFS='|' read -r ts job state carrier country detail; do
        redis-cli -p "$REDIS_PORT" XADD "$1" "$ts-*" job "$job" state "$state" \
            detail "$detail" carrier "$carrier" country "$country" tag campaign-7 ts "$ts" \
            >/dev/null || return 1
    done
}
