#!/bin/bash
# porlookup_find.sh — queue/porlookup's find against a real redis-server:
# the index <prefix>porix:<msisdn>:<tar> gives the candidate keysets
# (highest counter first, at most 8), and the same EVAL brings, for each,
# the job jobq's por map names for that counter with the record fields its
# script is built from; find_job looks one counter up. Keys are written by
# hand the way queue/script.c writes them (por:<msisdn>:<tar>:<cntr> =
# "id<TAB>attempt", job:<id> as intake stores the entry's fields).
. tests/lib/harness.sh
start_redis
AGENT=$SAN_BUILD/itest/porlookup_agent
[ -x "$AGENT" ] || AGENT=$BUILD/itest/porlookup_agent
R() { redis-cli -p "$REDIS_PORT" "$@"; }
run() { # NAME args...: output in $TMP/NAME.out
    local name=$1
    shift
    "$AGENT" --port "$REDIS_PORT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    echo $? >"$TMP/$name.rc"
}
line() { sed -n "${2}p" "$TMP/$1.out"; }
has() { [[ "$1" == *"$2"* ]] || { echo "'$1' lacks '$2'"; return 1; }; }

M=447700900011
T=b00011
# A config job sent with ks1 counter 7 (its second attempt).
R hset ota:job:jobA type config iccid 8944000000000000011 msisdn +$M file fplmn \
    value 23415,26201 readback yes class sim keyset ks1 tar $T state submitted >/dev/null
R set ota:por:$M:$T:7 "$(printf 'jobA\t2')" >/dev/null
# ks2's latest counter 3 has no map (a PoR that overtook its submit_sm_resp).
R hset ota:porix:$M:$T ks1 7 ks2 3 >/dev/null

run two find:+$M:B00011
ok "find: exits 0" test "$(cat $TMP/two.rc)" = 0
ok "find: ks1 first (highest counter), with its job" has "$(line two 1)" "CAND keyset=ks1 cntr=7 job=jobA attempt=2 counter=7 class=sim type=config"
ok "find: the job's script fields" has "$(line two 1)" "file=fplmn value=23415,26201 readback=1"
ok "find: the correlation TAR of a config job is not a job field" has "$(line two 1)" "tar=-"
ok "find: ks2 without a map: no job" test "$(line two 2)" = "CAND keyset=ks2 cntr=3 job=-"
ok "find: two candidates" test "$(line two 3)" = "DONE find n=2"

run byc job:$M:$T:7 job:$M:$T:3 job:$M:$T:99
ok "find_job: the job of counter 7, keyset from its record" has "$(line byc 1)" "CAND keyset=ks1 cntr=7 job=jobA attempt=2"
ok "find_job: counter 3 has no job" test "$(line byc 3)" = "CAND keyset=- cntr=3 job=-"
ok "find_job: nor has 99" test "$(line byc 5)" = "CAND keyset=- cntr=99 job=-"

# An apdu job keeps its tar; a profile job its action and AID; a record
# edited into something invalid gives no job; a map whose job is gone too.
M2=447700900013
R hset ota:job:jobP type switch iccid 8944000000000000013 msisdn $M2 method profile \
    aid a0000005591010ffffffff8900001200 action disable tar 000001 keyset ks1 class uicc >/dev/null
R hset ota:job:jobX type apdu iccid 8944000000000000013 msisdn $M2 tar 000001 \
    apdus 80e2880000 keyset ks2 class uicc >/dev/null
R hset ota:job:jobBad type switch iccid 8944000000000000013 msisdn $M2 method profile \
    aid zz keyset ks3 class uicc >/dev/null
R set ota:por:$M2:000001:11 "$(printf 'jobP\t1')" >/dev/null
R set ota:por:$M2:000001:12 "$(printf 'jobX\t3')" >/dev/null
R set ota:por:$M2:000001:13 "$(printf 'jobBad\t1')" >/dev/null
R set ota:por:$M2:000001:14 "$(printf 'jobGone\t1')" >/dev/null
R hset ota:porix:$M2:000001 ks1 11 ks2 12 ks3 13 ks4 14 >/dev/null
run kinds find:$M2:000001
ok "find: four candidates, highest counter first" \
    test "$(awk '/^CAND/ {sub(/keyset=/, "", $2); printf "%s ", $2}' $TMP/kinds.out)" = "ks4 ks3 ks2 ks1 "
ok "find: a map whose record is gone: no job" test "$(line kinds 1)" = "CAND keyset=ks4 cntr=14 job=-"
ok "find: a record that no longer validates: no job" test "$(line kinds 2)" = "CAND keyset=ks3 cntr=13 job=-"
ok "find: type=apdu keeps its tar" has "$(line kinds 3)" "job=jobX attempt=3 counter=12 class=uicc type=apdu"
ok "find: ... tar=000001" has "$(line kinds 3)" "tar=000001"
ok "find: profile job with its action and AID" has "$(line kinds 4)" "job=jobP attempt=1 counter=11 class=uicc type=switch method=3"
ok "find: ... action=disable aid=a0000005591010ffffffff8900001200" has "$(line kinds 4)" "action=disable aid=a0000005591010ffffffff8900001200"

# More keysets than candidates: the 8 highest counters.
M3=447700900014
for k in $(seq 1 12); do R hset ota:porix:$M3:$T k$k $((k * 10)) >/dev/null; done
run many find:$M3:$T
ok "find: at most 8 candidates" test "$(grep -c '^CAND' $TMP/many.out)" = 8
ok "find: the 8 highest counters, in order" \
    test "$(awk '/^CAND/ {sub(/cntr=/, "", $3); printf "%s ", $3}' $TMP/many.out)" = "120 110 100 90 80 70 60 50 "

# Nothing noted: no candidate. A note is found by the next find on the
# same connection. Bad input is refused before Redis.
run none find:447700900099:$T note:447700900099:$T:ks9:5:60000 find:447700900099:$T
ok "find: nothing noted, no candidate" test "$(line none 1)" = "DONE find n=0"
ok "note then find: the keyset and counter" test "$(line none 3)" = "CAND keyset=ks9 cntr=5 job=-"
run bad find:44770090001x:$T find:$M:b0001
ok "bad MSISDN or TAR: EINVAL, no call" test "$(grep -c '^ERR find Invalid argument' $TMP/bad.out)" = 2

# The key prefix of the settings applies to all three kinds of keys.
R hset x:job:jobY type config iccid 8944000000000000011 msisdn $M file acc value 0,3 keyset ks1 class uicc >/dev/null
R set x:por:$M:$T:5 "$(printf 'jobY\t1')" >/dev/null
R hset x:porix:$M:$T ks1 5 >/dev/null
run pfx --prefix x: find:$M:$T
ok "prefix x:: index, map and record under it" has "$(line pfx 1)" "CAND keyset=ks1 cntr=5 job=jobY attempt=1 counter=5 class=uicc type=config"

# A record without a class: the settings' default class.
R hset ota:job:jobN type config iccid 8944000000000000011 msisdn $M file acc value 0,3 keyset ks1 >/dev/null
R set ota:por:$M:$T:8 "$(printf 'jobN\t1')" >/dev/null
run noclass --class sim job:$M:$T:8
ok "no class in the record: the default class" has "$(line noclass 1)" "job=jobN attempt=1 counter=8 class=sim"
done_testing
