#!/bin/bash
# e2e_por_detail.sh — the PoR read against the job's script, end to end
# (otagw decodes each verified PoR with ota_result_decode and the job ends
# with that reading in its event and hash):
#   failed:    a write the card refuses (EF_ACC read-only: 6982) and a file
#              the card lacks (6A82): the detail names the file and the
#              status word in words;
#   read-back: `readback=yes` ends `confirmed` with the decoded content in
#              the event (`readback`) and the hash (`por_readback`);
#   eUICC:     a profile enable ends `confirmed` with provisional=1 in hash
#              and event and a detail saying what the ISD-R accepted and
#              what confirms the switch; a plain IMSI switch has neither;
#   paths:     a PoR that overtakes its submit_sm_resp (otasim stalls the
#              resp) is read against the job this instance still holds and
#              keeps its reading through jobq's stash; a PoR of an older
#              command than the latest one sent to that TAR is read against
#              its own job (looked up by its counter).
# otasim answers 500 ms after each packet, so that a second job to the same
# card is sent before the first one's PoR comes back.
E2E_SIM_ARGS="--por-delay-ms 500"
. tests/lib/e2e.sh
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

# event_field ID STATE FIELD: FIELD of the job's (last) event in STATE.
event_field() {
    RCLI XRANGE ota:events - + | awk -v id="$1" -v st="$2" -v want="$3" '
        { f[n++] = $0 }
        END {
            for (i = 0; i < n; i++) if (f[i] == "job" && f[i + 1] == id) {
                state = ""; v = ""; has = 0
                for (j = i; j < n && j < i + 30; j += 2) {
                    if (j > i && f[j] == "job") break
                    if (f[j] == "state") state = f[j + 1]
                    if (f[j] == want) { v = f[j + 1]; has = 1 }
                }
                if (state == st) { last = v; lasthas = has }
            }
            if (lasthas) print last; else print "<absent>"
        }'
}
has() { # text needle: TAP diagnostic when it lacks it
    [[ "$1" == *"$2"* ]] || { echo "# '$1' lacks '$2'"; return 1; }
}
hash_field() { # id field: the value, or <absent>
    if [ "$(RCLI HEXISTS "ota:job:$1" "$2")" = 1 ]; then RCLI HGET "ota:job:$1" "$2"; else echo "<absent>"; fi
}

# --- the card refuses: the detail names the file and the SW in words ------
e2e_job id acc-ro type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file acc value 0,3 >/dev/null
st=$(e2e_wait acc-ro)
ok "read-only EF_ACC: failed (got '$st')" test "$st" = failed
d=$(event_field acc-ro failed detail)
ok "read-only EF_ACC: the event names the file" has "$d" "EF_ACC"
ok "read-only EF_ACC: ... the status word in words" has "$d" "security status not satisfied (6982)"
ok "read-only EF_ACC: ... and which command" has "$d" "command 4 of 4"
ok "read-only EF_ACC: the hash's detail is the event's" test "$(RCLI HGET ota:job:acc-ro detail)" = "$d"

# 6FAA is not on the card: the SELECT answers 6A82.
e2e_job id nofile type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file 3F00/7FFF/6FAA value 0102 >/dev/null
st=$(e2e_wait nofile)
ok "missing EF 6FAA: failed (got '$st')" test "$st" = failed
d=$(event_field nofile failed detail)
ok "missing EF 6FAA: the event names the file" has "$d" "6FAA"
ok "missing EF 6FAA: ... the status word in words" has "$d" "file not found (6A82)"

# --- read-back: the decoded content in the confirmed event and the hash ---
e2e_job id rb type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415,26201 readback yes >/dev/null
st=$(e2e_wait rb)
ok "read-back: confirmed (got '$st')" test "$st" = confirmed
r=$(event_field rb confirmed readback)
ok "read-back: the event carries the decoded file" has "$r" "EF_FPLMN: "
ok "read-back: ... with both PLMNs" bash -c "[[ '$r' == *234*15* && '$r' == *262*01* ]]"
ok "read-back: the hash has it as por_readback" test "$(hash_field rb por_readback)" = "$r"
ok "read-back: the detail says it too" has "$(event_field rb confirmed detail)" "read back EF_FPLMN"
ok "read-back: the job's own readback field is untouched" test "$(hash_field rb readback)" = yes
ok "read-back: not provisional" test "$(event_field rb confirmed provisional)" = "<absent>"

# --- eUICC enable: confirmed, provisional in hash and event ---------------
e2e_job id enable-b type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method profile aid $E2E_PROFILE_B >/dev/null
e2e_job id imsi-sw type switch iccid $E2E_ICCID_AES msisdn $E2E_MSISDN_AES \
    method imsi imsi 001010123456789 >/dev/null
st=$(e2e_wait enable-b)
ok "profile enable: confirmed (got '$st')" test "$st" = confirmed
ok "profile enable: hash provisional = 1" test "$(hash_field enable-b provisional)" = 1
ok "profile enable: event provisional = 1" test "$(event_field enable-b confirmed provisional)" = 1
d=$(event_field enable-b confirmed detail)
ok "profile enable: the detail says what the ISD-R accepted" has "$d" "enable ISD-P $E2E_PROFILE_B: accepted by the ISD-R (9000)"
ok "profile enable: ... and what confirms the switch" has "$d" "confirmed only by the eUICC's notification to the SM-SR"
ok "profile enable: ... or undoes it" has "$d" "fall-back to the previous profile"
ok "profile enable: ... citing SGP.02" has "$d" "SGP.02"
ok "profile enable: exactly one final state" test "$(e2e_states enable-b)" = "received submitted delivered confirmed"
st=$(e2e_wait imsi-sw)
ok "imsi switch: confirmed (got '$st')" test "$st" = confirmed
ok "imsi switch: no provisional field in the hash" test "$(hash_field imsi-sw provisional)" = "<absent>"
ok "imsi switch: none in the event" test "$(event_field imsi-sw confirmed provisional)" = "<absent>"
ok "imsi switch: the detail is the decoded result" has "$(event_field imsi-sw confirmed detail)" "PoR 00, ok: 10 commands executed (9000)"

# --- a PoR that overtakes its submit_sm_resp ------------------------------
# otasim holds every submit_sm_resp 1.5 s; the card answers after 0.5 s.
ok "otasim: stall the submit_sm_resp" test "$(e2e_sim_ctl 'fault stall-ms 1500')" = ok
e2e_job id early-rb type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 20801 readback yes >/dev/null
e2e_job id early-en type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method profile aid $E2E_PROFILE_A >/dev/null
for j in early-rb early-en; do
    st=$(e2e_wait $j 20)
    ok "$j: confirmed (got '$st')" test "$st" = confirmed
    ok "$j: its PoR came before its submit was recorded" \
        has "$(event_field $j confirmed detail)" "received before its submit was recorded"
done
ok "early-rb: the stash kept the read-back (event)" has "$(event_field early-rb confirmed readback)" "EF_FPLMN: "
ok "early-rb: ... and the hash" has "$(hash_field early-rb por_readback)" "EF_FPLMN: "
ok "early-en: the stash kept provisional (event)" test "$(event_field early-en confirmed provisional)" = 1
ok "early-en: ... and the hash" test "$(hash_field early-en provisional)" = 1
ok "otasim: no more stall" test "$(e2e_sim_ctl 'fault stall-ms 0')" = ok

# --- a PoR of an older command: looked up by its counter ------------------
# old-1's PoR comes 500 ms after it was sent, when old-2 (same card, same
# TAR) is the latest command noted for the TAR: its job is not the index's.
e2e_job id old-1 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 readback yes >/dev/null
sleep 0.1
e2e_job id old-2 type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file acc value 0,3 >/dev/null
ok "old-1: confirmed (got '$(e2e_wait old-1)')" test "$(e2e_wait old-1)" = confirmed
ok "old-2: failed (got '$(e2e_wait old-2)')" test "$(e2e_wait old-2)" = failed
ok "old-1: read against its own script (its read-back)" has "$(event_field old-1 confirmed readback)" "EF_FPLMN: 23415"
ok "old-2: read against its own script (EF_ACC)" has "$(event_field old-2 failed detail)" "EF_ACC: security status not satisfied (6982)"
ok "old-1: its job was looked up by its counter" grep -q "job=old-1\] .*looked up by its counter" "$TMP/otagw.log"

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
