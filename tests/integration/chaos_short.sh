#!/usr/bin/env bash
# chaos_short.sh — the short chaos soak, on every change (`make test`): a
# few thousand jobs through the real otagw, redis-server (AOF) and otasim
# while every fault kind is injected at least once (SMSC drop, drop-after,
# stall, bind refusal, throttling bursts, malformed PDUs; otagw SIGKILL and
# restart; redis-server SIGKILL and AOF replay; a second otagw joining and
# leaving), then the invariant checker (docs/reliability.md). The seed is
# printed; CHAOS_SEED=N replays a run. About two minutes.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/harness.sh

export CHAOS_JOBS=${CHAOS_JOBS:-3000}
export CHAOS_RATE=${CHAOS_RATE:-60}
export CHAOS_VALIDITY=${CHAOS_VALIDITY:-60}
export CHAOS_FAULT_GAP=${CHAOS_FAULT_GAP:-2:4}
export CHAOS_MAX_FAULTS=${CHAOS_MAX_FAULTS:-12}
export CHAOS_DRAIN=${CHAOS_DRAIN:-180}
export CHAOS_SEED=${CHAOS_SEED:-$(( $(date +%s) % 100000 ))}
OUT=$TMP/short.out
TMP=$TMP/run bash tests/chaos/soak.sh >"$OUT" 2>&1
rc=$?
cat "$OUT"
fig() { grep -q "^# $1\$" "$OUT"; }
ok "short soak: every invariant holds (seed $CHAOS_SEED)" test "$rc" -eq 0
ok "no job lost" fig 'lost: 0'
ok "no job with two final states" fig 'two final states: 0'
ok "no counter reused" fig 'reused counters: 0'
ok "no packet executed twice" fig 'packets executed twice: 0'
ok "every fault kind injected" bash -c "grep '^# faults by kind:' '$OUT' | grep -o '=' | wc -l | grep -qx 9"
done_testing
