#!/bin/bash
# queue/ intake against a real redis-server: validation (a bad job of each
# kind is rejected with an event naming the field, and acknowledged; the
# owner is told once, with the field as a bounded class and the msisdn's
# country), duplicate ids (told once too), the exactly-one-final-state rule, message-id and PoR
# correlation including a receipt that arrives before its message id.
. tests/lib/harness.sh
. tests/lib/queue.sh
start_redis
export REDIS_PORT
card "$ICCID1" ks1 uicc

# Bad jobs, one of each kind, and the field each reason must name.
bad() { R xadd ota:jobs '*' id "$1" "${@:3}" >/dev/null; echo "$1 $2" >>"$TMP/bad"; }
B="iccid $ICCID1 msisdn $MSISDN1"
bad b-type "type:" type reboot $B
bad b-notype "type:" $B
bad b-iccid "iccid:" type apdu iccid 12 msisdn $MSISDN1 tar B00010 apdus 00A40000
bad b-msisdn "msisdn:" type apdu iccid $ICCID1 msisdn 0049x tar B00010 apdus 00A40000
bad b-method "method:" type switch $B method teleport
bad b-slot "slot:" type switch $B method applet
bad b-na "file:" type switch $B method applet slot 1 file imsi
bad b-file "file:" type config $B file secret value 00
bad b-tar "tar:" type apdu $B tar B0 apdus 00A40000
bad b-apdus "apdus:" type apdu $B tar B00010 apdus 00A4000403FF
bad b-unknown "valdity:" type apdu $B tar B00010 apdus 00A40000 valdity 60
bad b-binary "tag:" type apdu $B tar B00010 apdus 00A40000 tag "$(printf 'a\001b')"
bad b-validity "validity:" type apdu $B tar B00010 apdus 00A40000 validity 0
# Invalid id: the job is known by its stream entry id.
R xadd ota:jobs '*' id 'no/slash' type apdu $B >/dev/null
# Valid jobs; j-dup twice; a card nobody registered.
apdu_job j-1
apdu_job j-dup
apdu_job j-dup tag second
R xadd ota:jobs '*' id j-nocard type apdu iccid 8949000000000000999 msisdn $MSISDN1 tar B00010 \
    apdus 00A40000 >/dev/null
apdu_job j-early
apdu_job j-x x-trace abc

agent a1 --run-ms 1500 --deliver --early-receipt

while read -r id field; do
    ok "$id rejected" test "$(state "$id")" = rejected
    ok "$id: one rejected event" test "$(nevents "$id" rejected)" = 1
    ok "$id: reason names $field" bash -c "redis-cli -p $REDIS_PORT hget ota:job:$id detail | grep -q '^$field'"
done <"$TMP/bad"
ok "invalid id: job keyed by its entry id, rejected" \
    bash -c "redis-cli -p $REDIS_PORT --scan --pattern 'ota:job:*-*' | while read -r k; do redis-cli -p $REDIS_PORT hget \$k detail; done | grep -q '^id: only letters'"
ok "every entry acknowledged (nothing pending)" test "$(R xpending ota:jobs otagw | head -1)" = 0
ok "bad jobs never handed to the daemon" bash -c "! grep -q 'READY b-' $TMP/a1.out"

ok "duplicate id: handed out once" test "$(grep -c '^READY j-dup ' "$TMP/a1.out")" = 1
ok "duplicate id: one received event" test "$(nevents j-dup received)" = 1
ok "duplicate id: a duplicate notice" test "$(nevents j-dup duplicate)" = 1
ok "duplicate id: the first entry's tag kept" test "$(R hget ota:job:j-dup tag)" = ""

# The owner hears of each refusal once (intake_rejected, intake_duplicate):
# the field as the class ("other" for a name the contract lacks), the
# msisdn's country when that field is valid on its own.
while read -r id field; do
    cls=${field%:}
    [ "$id" = b-unknown ] && cls=other
    ok "$id: owner told once, class $cls" test "$(grep -c "^REFUSED $id $cls " "$TMP/a1.out")" = 1
done <"$TMP/bad"
ok "owner told of every refused entry and nothing else (bad, bad id, no card)" \
    test "$(grep -c '^REFUSED ' "$TMP/a1.out")" = "$(($(wc -l <"$TMP/bad") + 2))"
ok "invalid id: told under its entry id, class id" grep -qE '^REFUSED [0-9]+-[0-9]+ id DE$' "$TMP/a1.out"
ok "refused with a valid msisdn: its country" grep -q '^REFUSED b-iccid iccid DE$' "$TMP/a1.out"
ok "refused with a bad msisdn: no country" grep -q '^REFUSED b-msisdn msisdn -$' "$TMP/a1.out"
ok "unknown card: told with class card" grep -q '^REFUSED j-nocard card DE$' "$TMP/a1.out"
ok "duplicate: told once, with its country" test "$(grep -c '^DUPLICATE j-dup DE$' "$TMP/a1.out")" = 1
ok "duplicate: nothing else told as duplicate" test "$(grep -c '^DUPLICATE ' "$TMP/a1.out")" = 1
ok "unknown card rejected with its reason" \
    bash -c "redis-cli -p $REDIS_PORT hget ota:job:j-nocard detail | grep -q 'card 8949000000000000999 unknown'"
ok "x- fields accepted and not stored" test "$(R hexists ota:job:j-x x-trace)" = 0

# Correlation: j-early's receipt came before its message id and was applied.
ok "receipt before id: stashed first" grep -q '^RECEIPT - stashed' "$TMP/a1.out"
ok "receipt before id: applied at submit" \
    bash -c "REDIS_PORT=$REDIS_PORT; $(declare -f R details); details j-early delivered | grep -q 'received before its id'"
ok "j-early confirmed by its PoR" test "$(state j-early)" = confirmed
for s in received submitted delivered confirmed; do
    ok "j-1: exactly one $s event" test "$(nevents j-1 "$s")" = 1
done
ok "msgid map stored with expiry" bash -c "[ \$(redis-cli -p $REDIS_PORT pttl ota:msgid:simc:mj-1-1) -gt 0 ]"
ok "PoR map stored with expiry" bash -c "[ \$(redis-cli -p $REDIS_PORT pttl ota:por:$MSISDN1:b00010:1) -gt 0 ]"
ok "counters: one per job, never reused" \
    test "$(awk '/^READY/ {print $4}' "$TMP/a1.out" | sort | uniq -d | wc -l)" = 0

# Exactly one final state: every second final transition is refused, by the script.
ok "confirmed job refuses failed" test "$("$AGENT" --move j-1 failed x | tail -1)" = final
ok "state still confirmed" test "$(state j-1)" = confirmed
ok "no failed event after confirmed" test "$(nevents j-1 failed)" = 0
ok "rejected job refuses confirmed" test "$("$AGENT" --move b-type confirmed x | tail -1)" = final
ok "a late PoR on a final job changes nothing" test "$("$AGENT" --por $MSISDN1 b00010 1 0 | tail -1)" = "POR j-1 final"
apdu_job j-open
agent a2 --run-ms 800
ok "j-open submitted, not final" test "$(state j-open)" = submitted
ok "non-final job moves once to failed" test "$("$AGENT" --move j-open failed 'by hand' | tail -1)" = ok
ok "then refuses expired" test "$("$AGENT" --move j-open expired x | tail -1)" = final
ok "then refuses confirmed by a PoR" test "$("$AGENT" --por $MSISDN1 b00010 "$(R hget ota:job:j-open counter)" 0 | tail -1)" = "POR j-open final"
ok "j-open: exactly one final event" \
    test "$(($(nevents j-open failed) + $(nevents j-open expired) + $(nevents j-open confirmed)))" = 1
ok "final record expires (retention)" bash -c "[ \$(redis-cli -p $REDIS_PORT ttl ota:job:j-1) -gt 0 ]"

# Told on the reply, not on the call: an entry delivered again whose
# rejection Redis already holds (as after a reply lost with the connection)
# is answered "done", acknowledged, and not told again. The entry is made
# pending for a consumer that died (XADD + XREADGROUP in one transaction,
# so no agent sees it first), long idle; its record is what the first
# delivery's `reject` wrote. A malformed entry that reuses an accepted id
# is a duplicate, told as one.
printf 'MULTI\nXADD ota:jobs * id b-again type reboot iccid %s msisdn %s\nXREADGROUP GROUP otagw ghost COUNT 1 STREAMS ota:jobs >\nEXEC\n' \
    "$ICCID1" "$MSISDN1" | R >/dev/null
again=$(R xpending ota:jobs otagw - + 10 ghost | head -1)
R hset ota:job:b-again state rejected entry "$again" detail 'type: must be switch, config or apdu' \
    attempt 0 route_country DE >/dev/null
R xclaim ota:jobs otagw ghost 0 "$again" IDLE 600000 JUSTID >/dev/null
R xadd ota:jobs '*' id j-1 type reboot iccid "$ICCID1" msisdn "$MSISDN1" >/dev/null
agent a4 --run-ms 1500 --claim-idle-ms 1000 --scan-ms 200
ok "the entry delivered again was reclaimed and acknowledged" \
    test "$(R xpending ota:jobs otagw | head -1)" = 0
ok "its rejection is not told again" bash -c "! grep -q '^REFUSED' '$TMP/a4.out'"
ok "no rejected event written for it again" test "$(nevents b-again rejected)" = 0
ok "a malformed entry reusing an accepted id: told as a duplicate" \
    test "$(grep -c '^DUPLICATE j-1 DE$' "$TMP/a4.out")" = 1

# ota:events is trimmed to about events_maxlen (MAXLEN ~: whole stream nodes
# of 100 entries go): 300 jobs, 600+ events, a limit of 150.
for i in $(seq 1 300); do
    printf 'XADD ota:jobs * id t-%d type apdu iccid %s msisdn %s tar B00010 apdus 00A40004023F00\n' \
        "$i" "$ICCID1" "$MSISDN1"
done | R --pipe >/dev/null
agent a3 --run-ms 2000 --events-maxlen 150
ok "300 more jobs submitted" test "$(grep -c '^READY t-' "$TMP/a3.out")" = 300
ok "events trimmed to about 150 (XLEN $(R xlen ota:events))" \
    bash -c "n=\$(redis-cli -p $REDIS_PORT xlen ota:events); [ \$n -ge 150 ] && [ \$n -lt 250 ]"
ok "the newest events kept" test "$(nevents t-300 submitted)" = 1
done_testing
