# harness.sh — sourced by every integration script (bash) (tests/integration/*.sh).
#
# Gives each script a private temp dir, free TCP ports, a throwaway
# redis-server, TAP output and one cleanup trap that stops everything the
# script started (STYLE.md §6, after hiredis test.sh and Redis start_server).
#
#   . tests/lib/harness.sh
#   start_redis            # sets REDIS_PORT, REDIS_PID
#   ok "name" cmd args     # runs cmd: "ok - name" or "not ok - name"
#   spawn NAME cmd args    # background process, stopped at exit; log in $TMP/NAME.log
#   wait_port PORT [secs]  # until something listens on 127.0.0.1:PORT

set -u
BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-$BUILD}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/otagw-it.XXXXXX")
PIDS=""
TAP_FAIL=0

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    sleep 0.1
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    [ "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A port nobody listens on now, from a range apart from the kernel's
# ephemeral ports, and not one this script has handed out before.
PORTS_GIVEN=""
free_port() {
    while :; do
        _p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        case " $PORTS_GIVEN " in *" $_p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
            PORTS_GIVEN="$PORTS_GIVEN $_p"
            echo "$_p"
            return 0
        fi
    done
}

wait_port() {
    _n=$(( ${2:-10} * 20 ))
    while [ "$_n" -gt 0 ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
        _n=$((_n - 1))
    done
    return 1
}

spawn() {
    _name=$1
    shift
    "$@" >"$TMP/$_name.log" 2>&1 &
    _pid=$!
    PIDS="$PIDS $_pid"
    eval "${_name}_PID=$_pid"
}

# start_redis [extra redis-server args...]
start_redis() {
    REDIS_PORT=$(free_port)
    mkdir -p "$TMP/redis"
    spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" \
        --save '' --appendonly no --daemonize no "$@"
    REDIS_PID=$redis_PID
    _n=100
    until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do
        _n=$((_n - 1))
        [ "$_n" -gt 0 ] || { echo "redis-server did not start"; cat "$TMP/redis.log"; return 1; }
        sleep 0.05
    done
}

ok() {
    _name=$1
    shift
    if "$@" >"$TMP/ok.out" 2>&1; then
        echo "ok - $_name"
    else
        echo "not ok - $_name"
        sed 's/^/#   /' "$TMP/ok.out" | tail -n 20
        TAP_FAIL=1
    fi
}

# wait_grep REGEX FILE [SECS]: waits (default 10 s) until FILE has a line
# matching REGEX (grep -E); 1 when it never came. A check follows with ok.
wait_grep() {
    local n=$((${3:-10} * 20))
    until grep -qE -- "$1" "$2" 2>/dev/null; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}

# At the end of a script: exit status from the TAP lines.
done_testing() {
    exit "$TAP_FAIL"
}
