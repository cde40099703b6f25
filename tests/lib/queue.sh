# queue.sh — helpers for the queue/ integration scripts (sourced after harness.sh).
#
#   AGENT            the stand-in daemon (tests/integration/queue_agent.c), sanitizer build
#   R args           redis-cli on the private server
#   card ICCID [KS] [CLASS]    writes ota:card:<iccid>
#   apdu_job ID [field value...]  XADDs a valid apdu job (ICCID1), extra fields appended
#   nevents JOB STATE           number of ota:events entries for JOB in STATE ('*' = any)
#   details JOB STATE           their details, one a line (the job's history)
#   wait_for SECS cmd...        polls cmd until it succeeds (0) or SECS pass (1)

AGENT="$SAN_BUILD/itest/queue_agent"
[ -x "$AGENT" ] || AGENT="$BUILD/itest/queue_agent"
ICCID1=8949000000000000001
MSISDN1=491700000001

R() { redis-cli -p "$REDIS_PORT" "$@"; }

card() { R hset "ota:card:$1" keyset "${2:-ks1}" class "${3:-uicc}" >/dev/null; }

apdu_job() {
    _id=$1
    shift
    R xadd ota:jobs '*' id "$_id" type apdu iccid "$ICCID1" msisdn "$MSISDN1" tar B00010 \
        apdus 00A40004023F00 "$@" >/dev/null
}

nevents() {
    R eval "local n = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f, j, s = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'job' then j = f[i + 1] elseif f[i] == 'state' then s = f[i + 1] end
  end
  if j == ARGV[1] and (ARGV[2] == '*' or s == ARGV[2]) then n = n + 1 end
end
return n" 1 ota:events "$1" "$2"
}

# details JOB STATE: the detail of each ota:events entry for JOB in STATE
# ('*' = any), one a line, oldest first: the job's history.
details() {
    R eval "local out = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f, j, s, d = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'job' then j = f[i + 1] elseif f[i] == 'state' then s = f[i + 1]
    elseif f[i] == 'detail' then d = f[i + 1] end
  end
  if j == ARGV[1] and (ARGV[2] == '*' or s == ARGV[2]) then out[#out + 1] = d end
end
return out" 1 ota:events "$1" "$2"
}

state() { R hget "ota:job:$1" state; }

wait_for() {
    _n=$(($1 * 20))
    shift
    while [ "$_n" -gt 0 ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.05
        _n=$((_n - 1))
    done
    return 1
}

# Runs the agent in the foreground with the given options; output in $TMP/$1.out.
agent() {
    _o=$1
    shift
    "$AGENT" "$@" >"$TMP/$_o.out" 2>"$TMP/$_o.err"
}
