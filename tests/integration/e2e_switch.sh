#!/bin/bash
# e2e_switch.sh — `switch` jobs end to end: Redis stream -> otagw -> SMPP
# over TCP -> otasim's SIM cards, which verify the 03.48 packet, run it and
# answer with a ciphered PoR. Each job must end `confirmed` AND the card
# must have changed (otasim's state dump), and no counter may be used twice.
. tests/lib/e2e.sh
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

# switch/imsi on a UICC: EF_IMSI rewritten by RFM (TAR B00011), 2 SMs.
e2e_job id sw-imsi type switch iccid $E2E_ICCID_UICC msisdn +$E2E_MSISDN_UICC \
    method imsi imsi 001010123456789 tag t-imsi >/dev/null
# A 2G SIM (CLA A0, DF GSM, TAR B00010): EF_FPLMN (a switch/imsi on a 2G
# SIM also invalidates EF_LOCIGPRS 6F53, which otasim's 2G card lacks yet).
e2e_job id cfg-2g type config iccid $E2E_ICCID_SIM msisdn $E2E_MSISDN_SIM \
    file fplmn value 23415 >/dev/null
# switch/applet: the multi-IMSI applet's slot 2 ([applet default]).
e2e_job id sw-applet type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method applet slot 2 >/dev/null

st=$(e2e_wait sw-imsi)
ok "switch imsi (uicc): confirmed (got '$st')" test "$st" = confirmed
ok "switch imsi (uicc): events received, submitted, delivered, confirmed" \
    test "$(e2e_states sw-imsi)" = "received submitted delivered confirmed"
ok "switch imsi (uicc): the card's IMSI is the new one" \
    test "$(e2e_card $E2E_ICCID_UICC imsi)" = 001010123456789
ok "switch imsi (uicc): the tag is echoed in the events" \
    bash -c "redis-cli -p $REDIS_PORT XRANGE ota:events - + | grep -qx t-imsi"
ok "switch imsi (uicc): PoR detail says 9000" \
    bash -c "[[ '$(e2e_event sw-imsi confirmed)' == *9000* ]]"
# The PoR index (queue/porlookup.h) was noted before the packet left: the
# job's keyset with its counter, expiring (the note is batched; nothing in
# the outcome depends on it while the keystore can open the PoR).
ix=ota:porix:$E2E_MSISDN_UICC:b00011
ok "switch imsi (uicc): PoR index holds keyset $(RCLI HGET ota:job:sw-imsi keyset) = counter $(RCLI HGET ota:job:sw-imsi counter)" \
    test "$(RCLI HGET "$ix" "$(RCLI HGET ota:job:sw-imsi keyset)")" = "$(RCLI HGET ota:job:sw-imsi counter)"
ok "switch imsi (uicc): PoR index expires after the job's deadline" \
    test "$(RCLI PTTL "$ix")" -gt "$(($(RCLI HGET ota:job:sw-imsi deadline) - $(date +%s%3N)))"
ok "switch imsi (uicc): the PoR was opened with the index's keyset" \
    bash -c "! grep -q 'PoR index' '$TMP/otagw.log'"

st=$(e2e_wait cfg-2g)
ok "config fplmn (2G sim): confirmed (got '$st')" test "$st" = confirmed
ok "config fplmn (2G sim): EF_FPLMN holds 234-15" \
    test "$(e2e_card $E2E_ICCID_SIM ef.6f7b)" = 32f451ffffffffffffffffff

st=$(e2e_wait sw-applet)
ok "switch applet: confirmed (got '$st')" test "$st" = confirmed
ok "switch applet: slot 2 active" test "$(e2e_card $E2E_ICCID_EUICC active_slot)" = 2
ok "switch applet: EF_IMSI holds slot 2's IMSI" \
    test "$(e2e_card $E2E_ICCID_EUICC imsi)" = 001010123456789

# switch/profile after the applet (one job at a time per card: the counter
# of the second packet must be the higher one when it reaches the card).
e2e_job id sw-profile type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method profile aid $E2E_PROFILE_B >/dev/null
st=$(e2e_wait sw-profile)
ok "switch profile: confirmed (got '$st')" test "$st" = confirmed
ok "switch profile: ISD-P $E2E_PROFILE_B enabled" \
    test "$(e2e_card $E2E_ICCID_EUICC profile)" = $E2E_PROFILE_B

# The counters: one per packet, never reused (otasim's journal).
e2e_sim_ctl flush >/dev/null
ok "journal: every executed (iccid, keyset, cntr) is unique" \
    bash -c "grep 'executed=1' '$E2E/journal.log' | grep -o 'iccid=[0-9]* keyset=[^ ]* cntr=[0-9a-fx]*' | sort | uniq -d | grep -q . && exit 1 || exit 0"
ok "journal: 4 packets executed" \
    test "$(grep -c 'executed=1' "$E2E/journal.log")" = 4
ok "otagw logged with job identities" grep -q '\[job=sw-imsi carrier=sim\] sending' "$TMP/otagw.log"

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
