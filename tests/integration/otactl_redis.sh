#!/bin/bash
# otactl_redis.sh — otactl's Redis commands against a real redis-server:
# card add (the contract's card hash), enqueue (the daemon's validator: a
# bad job exits 2 with the field's reason and never reaches the stream),
# status (record + events), watch (live lines, campaign progress), and
# the Redis options (-c FILE's [redis], --redis, AUTH).
. tests/lib/harness.sh
OTACTL=${OTACTL:-$BUILD/otactl}
start_redis --requirepass s3cret
R=(--redis "127.0.0.1:$REDIS_PORT" --password s3cret)
RC() { redis-cli -p "$REDIS_PORT" -a s3cret --no-auth-warning "$@"; }
ICCID=8944000000000000011

# card add
ok "card add: exit 0" "$OTACTL" card add $ICCID --keyset ks1 --class uicc --msisdn +447700900011 "${R[@]}"
ok "card add: keyset, class, msisdn (without +) in ota:card:<iccid>" \
    test "$(RC HMGET ota:card:$ICCID keyset class msisdn | tr '\n' ' ')" = "ks1 uicc 447700900011 "
"$OTACTL" card add $ICCID --keyset ks1 --class esim "${R[@]}" 2>"$TMP/err"
ok "card add: a bad class exits 2" test $? = 2
ok "card add: ... naming the field" grep -q '^otactl card: class:' "$TMP/err"
"$OTACTL" card add 1234 --keyset ks1 --class uicc "${R[@]}" 2>"$TMP/err"
ok "card add: a short ICCID exits 2 naming iccid" \
    bash -c "[ $? = 2 ] && grep -q 'iccid: must be 18..20 digits' $TMP/err"
"$OTACTL" card add $ICCID --keyset ks1 --class uicc --redis "127.0.0.1:$REDIS_PORT" 2>"$TMP/err"
ok "card add: without the password exits 1 with Redis's reason" \
    bash -c "[ $? = 1 ] && grep -q 'NOAUTH' $TMP/err"

# enqueue
id=$("$OTACTL" enqueue config --iccid $ICCID --msisdn +447700900011 --file fplmn --value 23415 \
    --readback --tag camp "${R[@]}")
ok "enqueue: prints the entry id when the job has no id ($id)" grep -qE '^[0-9]+-[0-9]+$' <<<"$id"
ok "enqueue: the entry holds the fields, readback=yes" \
    bash -c "redis-cli -p $REDIS_PORT -a s3cret --no-auth-warning XRANGE ota:jobs $id $id | tr '\n' ' ' | grep -q 'type config iccid $ICCID msisdn +447700900011 file fplmn value 23415 readback yes tag camp'"
id=$("$OTACTL" enqueue switch --id fleet-7 --iccid $ICCID --msisdn 447700900011 --method profile \
    --aid a0000005591010ffffffff8900001100 --action fallback "${R[@]}")
ok "enqueue: prints the job's own id" test "$id" = fleet-7
n0=$(RC XLEN ota:jobs)
"$OTACTL" enqueue switch --iccid $ICCID --msisdn 447700900011 --method imsi --imsi 22806x "${R[@]}" \
    >"$TMP/out" 2>"$TMP/err"
ok "enqueue: a bad job exits 2" test $? = 2
ok "enqueue: ... with the validator's reason naming the field" \
    grep -qx "otactl enqueue: imsi: must be 6..15 digits, got '22806x'" "$TMP/err"
"$OTACTL" enqueue switch --iccid $ICCID --msisdn 447700900011 --method imsi --imsi 228062800000208 \
    --action enable "${R[@]}" 2>"$TMP/err"
ok "enqueue: a field of another method exits 2 naming it" \
    bash -c "[ $? = 2 ] && grep -q 'action: does not apply to type=switch method=imsi' $TMP/err"
"$OTACTL" enqueue reboot --iccid $ICCID --msisdn 447700900011 "${R[@]}" 2>"$TMP/err"
ok "enqueue: an unknown type exits 2 naming type" bash -c "[ $? = 2 ] && grep -q 'type: must be' $TMP/err"
ok "enqueue: nothing bad reached the stream" test "$(RC XLEN ota:jobs)" = "$n0"

# -c FILE: [redis] from the daemon's own config, and its applet profiles.
printf '[keyset ks1]\nkic = 3des2:300102030405060708090a0b0c0d0e0f\nkid = 3des2:301102030405060708090a0b0c0d0e0f\n' >"$TMP/keys.ini"
chmod 600 "$TMP/keys.ini"
cat >"$TMP/otagw.conf" <<CONF
[gateway]
name = t
keystore = keys.ini

[redis]
host = 127.0.0.1
port = $REDIS_PORT
password = s3cret
stream_jobs = other:jobs

[carrier c]
host = 127.0.0.1
port = 2775
system_id = x
password = y
source_addr = 12345

[route]
default = c

[applet acme]
tar = b0ff01
command = 80 C2 {slot} 00 00
CONF
id=$("$OTACTL" enqueue switch -c "$TMP/otagw.conf" --iccid $ICCID --msisdn 447700900011 \
    --method applet --slot 2 --applet acme)
ok "enqueue -c: password and stream_jobs from [redis]" test "$(RC XLEN other:jobs)" = 1
"$OTACTL" enqueue switch -c "$TMP/otagw.conf" --iccid $ICCID --msisdn 447700900011 \
    --method applet --slot 2 --applet ghost 2>"$TMP/err"
ok "enqueue -c: an applet profile the config lacks exits 2 naming applet" \
    bash -c "[ $? = 2 ] && grep -q \"applet: profile 'ghost' is not configured\" $TMP/err"

# status: a record and its events as the daemon writes them.
now=$(RC TIME | head -1)000
RC HSET ota:job:fleet-7 state confirmed detail 'ok: 1 command executed (9000)' created "$now" \
    updated "$((now + 5000))" history 'x' >/dev/null
RC XADD ota:events "$((now))-1" job fleet-7 state received detail 'accepted' carrier '' country '' tag '' ts "$now" attempt 0 >/dev/null
RC XADD ota:events "$((now + 1))-0" job other state received detail 'x' carrier '' country '' tag '' ts "$now" attempt 0 >/dev/null
RC XADD ota:events "$((now + 5000))-0" job fleet-7 state confirmed detail 'ok: 1 command executed (9000)' carrier sim country GB tag '' ts "$((now + 5000))" attempt 1 >/dev/null
"$OTACTL" status fleet-7 "${R[@]}" >"$TMP/st"
ok "status: exit 0" test $? = 0
ok "status: the record's state" grep -qE '^  state +confirmed$' "$TMP/st"
ok "status: its two events in order, not the other job's" \
    test "$(grep -oE '(received|confirmed) +job=[a-z0-9-]+' "$TMP/st" | tr -s ' ' | tr '\n' ,)" = "received job=fleet-7,confirmed job=fleet-7,"
ok "status: the event line has carrier, country, attempt and detail" \
    grep -q 'confirmed job=fleet-7 carrier=sim country=GB attempt=1: ok: 1 command executed (9000)' "$TMP/st"
"$OTACTL" status nope "${R[@]}" 2>"$TMP/err"
ok "status: an unknown job exits 1" bash -c "[ $? = 1 ] && grep -q \"no job 'nope'\" $TMP/err"

# watch: live lines, and a campaign's progress.
RC XADD ota:events '*' job c1 state received detail a carrier '' country '' tag camp ts 1 attempt 0 >/dev/null
"$OTACTL" watch --tag camp --total 3 --until-done --timeout 10 "${R[@]}" >"$TMP/watch" 2>&1 &
wpid=$!
"$OTACTL" watch --count 2 --timeout 10 "${R[@]}" >"$TMP/watch2" 2>&1 &
w2=$!
sleep 0.5
for j in c1 c2 c3; do
    RC XADD ota:events '*' job $j state confirmed detail ok carrier sim country GB tag camp ts 1 attempt 1 >/dev/null
    [ $j = c1 ] && RC XADD ota:events '*' job x9 state failed detail no carrier sim country GB tag other ts 1 attempt 1 >/dev/null
    sleep 0.3
done
wait $wpid
ok "watch --until-done: exits 0 when the campaign is done" test $? = 0
wait $w2
ok "watch --count 2: two lines, one per event, any tag" \
    test "$(grep -c 'job=' "$TMP/watch2")" = 2
ok "watch --tag: only the tag's events" bash -c "! grep -q 'job=x9' $TMP/watch"
ok "watch --tag: the campaign before the watch counted (0/3 done at start)" \
    grep -q '^progress tag=camp: 0/3 done' "$TMP/watch"
ok "watch --tag: progress after each event, with rate and ETA" \
    grep -qE '^progress tag=camp: 1/3 done \(confirmed 1, failed 0, rejected 0, expired 0\), [0-9.]+ jobs/s, ETA [0-9]+s$' "$TMP/watch"
ok "watch --tag: complete at 3/3" grep -qE '^progress tag=camp: 3/3 done .*complete$' "$TMP/watch"
"$OTACTL" watch --tag nothing --until-done --total 1 --timeout 1 "${R[@]}" >/dev/null 2>&1
ok "watch --until-done: exits 1 at the timeout when not done" test $? = 1
done_testing
