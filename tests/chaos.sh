#!/bin/sh
# chaos.sh — `make chaos`: the long chaos soak (docs/reliability.md).
#
# 100 000 jobs through otagw, redis-server (AOF, appendfsync always) and
# otasim while faults are injected at random (seed printed; replay with
# CHAOS_SEED=N make chaos), then the invariant checker. Under 30 minutes on
# a 2-core machine. Every CHAOS_* parameter of tests/chaos/soak.sh can be
# overridden from the environment; the run's files (logs, journal, state
# dump, figures) are kept in build/chaos/last-run.
set -u
export CHAOS_JOBS="${CHAOS_JOBS:-100000}"
export CHAOS_RATE="${CHAOS_RATE:-110}"
export CHAOS_VALIDITY="${CHAOS_VALIDITY:-120}"
export CHAOS_FAULT_GAP="${CHAOS_FAULT_GAP:-10:30}"
export CHAOS_MAX_FAULTS="${CHAOS_MAX_FAULTS:-60}"
export CHAOS_DRAIN="${CHAOS_DRAIN:-480}"
export CHAOS_KEEP="${CHAOS_KEEP:-${BUILD:-build}/chaos/last-run}"
rm -rf "$CHAOS_KEEP"
bash tests/chaos/soak.sh
exit $?
