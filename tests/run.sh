#!/bin/sh
# The test suite's one runner (`make test`). It runs, in order:
#   unit         every tests/unit/test_* (cmocka), built with ASan + UBSan
#   fuzz         every libFuzzer target over its seed corpus, then for
#                FUZZ_SECONDS of fresh inputs (ASan + UBSan)
#   integration  every tests/integration/*.sh (bash) against real redis-server and
#                SMPP peers over TCP; each prints TAP lines ("ok - x",
#                "not ok - x") or is counted as one test by its exit status
#   format       the tree matches .clang-format
# and ends with one line "N passed, N failed". Exit status 0 only when
# nothing failed and something ran.
#
# ONLY=unit|fuzz|integration|format runs one kind; T=name runs the
# integration scripts whose name contains it.

set -u
BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-$BUILD}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
ONLY=${ONLY:-}
T=${T:-}
export BUILD SAN_BUILD
passed=0
failed=0
failures=""
log=$(mktemp -d "${TMPDIR:-/tmp}/otagw-tests.XXXXXX")
trap 'rm -rf "$log"' EXIT INT TERM

note_fail() {
    failed=$((failed + 1))
    failures="$failures
  $1"
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

if want unit; then
    for t in "$SAN_BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        out="$log/$name.out"
        "$t" >"$out" 2>&1
        rc=$?
        ok=$(grep -c '^\[       OK \]' "$out")
        bad=$(grep -cE '^\[  (FAILED|ERROR)   ?\] [a-z_]' "$out")
        passed=$((passed + ok))
        if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
            [ "$bad" -eq 0 ] && bad=1
            i=0
            while [ $i -lt "$bad" ]; do
                note_fail "unit $name (exit $rc)"
                i=$((i + 1))
            done
            sed 's/^/    | /' "$out" | tail -n 40
        fi
        printf 'unit %-28s %s passed, %s failed\n' "$name" "$ok" "$bad"
    done
fi

if want fuzz; then
    for f in "$FUZZ_BUILD"/fuzz_*; do
        [ -x "$f" ] || continue
        name=$(basename "$f")
        corpus="tests/fuzz/corpus/${name#fuzz_}"
        work="$log/$name.corpus"
        mkdir -p "$work"
        [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
        # Seeds once, then bounded fresh inputs; any crash, leak or UB fails.
        if "$f" -runs=0 "$work" >"$log/$name.out" 2>&1 &&
            "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=1024 \
                -artifact_prefix="$log/" "$work" >>"$log/$name.out" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz $name ok"
        else
            note_fail "fuzz $name"
            tail -n 40 "$log/$name.out" | sed 's/^/    | /'
        fi
    done
fi

if want integration; then
    for s in tests/integration/*.sh; do
        [ -f "$s" ] || continue
        case "$s" in *"$T"*) ;; *) continue ;; esac
        name=$(basename "$s" .sh)
        out="$log/$name.out"
        bash "$s" >"$out" 2>&1
        rc=$?
        ok=$(grep -c '^ok ' "$out")
        bad=$(grep -c '^not ok ' "$out")
        if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
            if [ "$rc" -eq 0 ]; then ok=1; else bad=1; fi
        elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
            bad=1
        fi
        passed=$((passed + ok))
        if [ "$bad" -ne 0 ]; then
            grep '^not ok ' "$out" | while read -r l; do echo "  $name: $l"; done
            i=0
            while [ $i -lt "$bad" ]; do
                note_fail "integration $name (exit $rc)"
                i=$((i + 1))
            done
            tail -n 60 "$out" | sed 's/^/    | /'
        fi
        printf 'integration %-21s %s passed, %s failed\n' "$name" "$ok" "$bad"
    done
fi

if want format; then
    if make --no-print-directory format-check >"$log/format.out" 2>&1; then
        passed=$((passed + 1))
        echo "format ok"
    else
        note_fail "format: run 'make format'"
        head -n 20 "$log/format.out" | sed 's/^/    | /'
    fi
fi

[ "$failed" -ne 0 ] && printf 'failures:%s\n' "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
