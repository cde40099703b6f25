#!/bin/bash
# e2e_lease_lost.sh — e2e_failover.sh with A stopped (SIGSTOP) rather than
# killed, then resumed after B took its jobs over: A must cancel the SMs
# it still holds queued instead of sending them (jobq lease_lost,
# gw_link_cancel).
FAILOVER_STOP=1
. "$(dirname "$0")/e2e_failover.sh"
