#!/usr/bin/env bash
# chaos_checker.sh — the soak's invariant checker (tests/chaos/chaos_check.c)
# against synthetic results in a real redis-server: a clean world passes,
# and each broken invariant is caught by name, alone. A checker that never
# fails proves nothing; this is what shows it can.
#
#   clean world                 exit 0, PASS, figures printed
#   lost twofinal mismatch cntr-reuse exec-twice cntr-regress no-effect
#   expect stall                exit 1 with "VIOLATION <kind>" and no other kind
#   reexec stall-down stall-idle  exit 0 (at-least-once re-execution is
#                               counted, not failed; waits with every daemon
#                               down or nothing to do are not stalls)
#   20 000 jobs                 checked, time printed (not asserted)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh
. tests/chaos/synth.sh

CHECK=$SAN_BUILD/chaos/chaos_check
[ -x "$CHECK" ] || CHECK=$BUILD/chaos/chaos_check
start_redis || exit 1
RCLI() { redis-cli -p "$REDIS_PORT" "$@"; }

# run_world N MUTATION: loads the synthetic world into an empty Redis and
# runs the checker; output in $TMP/MUTATION.out, exit status in $RC.
run_world() {
    local d=$TMP/w-$2
    RCLI FLUSHALL >/dev/null
    synth_world "$d" "$1" "$2"
    redis-cli -p "$REDIS_PORT" --pipe <"$d/redis.resp" >"$d/pipe.out" 2>&1 || cat "$d/pipe.out"
    "$CHECK" --redis "127.0.0.1:$REDIS_PORT" --manifest "$d/manifest" --journal "$d/journal" \
        --state "$d/state" --progress "$d/progress" --faults "$d/faults" --stall-s 30 \
        >"$TMP/$2.out" 2>&1
    RC=$?
}

passes() {
    run_world 200 "$1"
    [ "$RC" -eq 0 ] && grep -q '^PASS$' "$TMP/$1.out" && ! grep -q VIOLATION "$TMP/$1.out" ||
        { cat "$TMP/$1.out"; return 1; }
}

# caught KIND [ALSO]: exit 1, FAIL, a VIOLATION line of that kind and of
# no other (but ALSO, which that breakage implies).
caught() {
    run_world 200 "$1"
    local others
    others=$(grep '^VIOLATION' "$TMP/$1.out" | grep -v "^VIOLATION $1:" |
        grep -v "^VIOLATION ${2:-none}:")
    [ "$RC" -eq 1 ] && grep -q '^FAIL$' "$TMP/$1.out" && grep -q "^VIOLATION $1:" "$TMP/$1.out" &&
        [ -z "$others" ] || { cat "$TMP/$1.out"; return 1; }
}

ok "clean world passes" passes none
ok "clean world: figures an operator quotes" grep -q 'lost: 0' "$TMP/none.out"
ok "clean world: final states counted" \
    grep -q '^final: 200 confirmed=176 delivered=16 failed=0 expired=0 rejected=8$' "$TMP/none.out"
ok "clean world: faults tallied by kind" \
    grep -q '^faults by kind: daemon-kill=1 smsc-drop=2$' "$TMP/none.out"
ok "clean world: every confirmed change checked on its card" \
    grep -q 'checked on the card: 176$' "$TMP/none.out"
ok "clean world: counters checked against Redis" \
    grep -q 'checked against Redis: 192$' "$TMP/none.out"

for k in lost twofinal mismatch cntr-reuse cntr-regress no-effect expect stall; do
    ok "detects $k" caught "$k"
done
# A packet run twice is also a counter seen twice.
ok "detects exec-twice" caught exec-twice cntr-reuse
ok "lost names both jobs" grep -q '^violations: 2 lost=2$' "$TMP/lost.out"
open_is() { [ "$("$CHECK" --redis "127.0.0.1:$REDIS_PORT" --manifest "$TMP/w-lost/manifest" --open)" = "$1" ]; }
run_world 200 lost
ok "--open counts the jobs without a final state" open_is 2
ok "stall reports its length" grep -q 'no event for 4[01] s' "$TMP/stall.out"

ok "re-execution with a fresh counter is counted, not failed" passes reexec
ok "re-execution figure" grep -q 'fresh counter (at-least-once): 1$' "$TMP/reexec.out"
ok "no stall while every daemon is down" passes stall-down
ok "no stall with nothing to do" passes stall-idle

ok "bad usage exits 2" bash -c "'$CHECK' --manifest /nonexistent; [ \$? -eq 2 ]"
ok "unreadable manifest exits 2" \
    bash -c "'$CHECK' --redis 127.0.0.1:$REDIS_PORT --manifest /nonexistent; [ \$? -eq 2 ]"

t0=$(date +%s%N)
run_world 20000 none
t1=$(date +%s%N)
ok "20 000 jobs pass" grep -q '^PASS$' "$TMP/none.out"
echo "# 20 000 synthetic jobs: load + check in $(((t1 - t0) / 1000000)) ms"

done_testing
