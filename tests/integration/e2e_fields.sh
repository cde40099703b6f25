#!/bin/bash
# e2e_fields.sh — the job fields ota/ takes beyond the first contract
# (action, applet, readback, format) travel from the stream through the
# validator and the daemon to the card: an eUICC profile disabled and its
# fall-back attribute moved (SGP.02 3A04 / 3A05), an applet job naming its
# [applet NAME] profile, an unknown profile rejected naming the field.
. tests/lib/e2e.sh
E2E_GW_CONF_EXTRA='
[applet acme]
description = a second profile with its own name (same simulated applet)
tar = b0ff01
slots = 1-4
command = 80 C2 {slot} 00 00'
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

# Jobs on the eUICC one at a time: each must reach the card with the next counter.
e2e_job id f-applet type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method applet slot 2 applet acme >/dev/null
st=$(e2e_wait f-applet)
ok "applet=acme: confirmed (got '$st')" test "$st" = confirmed
ok "applet=acme: slot 2 active" test "$(e2e_card $E2E_ICCID_EUICC active_slot)" = 2
ok "applet=acme: the job record keeps the profile name" \
    test "$(RCLI HGET ota:job:f-applet applet)" = acme

e2e_job id f-ghost type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method applet slot 1 applet ghost >/dev/null
st=$(e2e_wait f-ghost)
d=$(e2e_event f-ghost rejected)
ok "applet=ghost: rejected (got '$st')" test "$st" = rejected
ok "applet=ghost: the reason names the field and the profile ($d)" \
    grep -q "^applet: profile 'ghost' is not configured" <<<"$d"

e2e_job id f-fallback type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method profile aid $E2E_PROFILE_B action fallback >/dev/null
st=$(e2e_wait f-fallback)
ok "action=fallback: confirmed (got '$st')" test "$st" = confirmed
ok "action=fallback: ISD-P B has the fall-back attribute" \
    test "$(e2e_card $E2E_ICCID_EUICC fallback)" = $E2E_PROFILE_B
ok "action=fallback: profile A still enabled" \
    test "$(e2e_card $E2E_ICCID_EUICC profile)" = $E2E_PROFILE_A

e2e_job id f-disable type switch iccid $E2E_ICCID_EUICC msisdn $E2E_MSISDN_EUICC \
    method profile aid $E2E_PROFILE_A action disable >/dev/null
st=$(e2e_wait f-disable)
ok "action=disable: confirmed (got '$st')" test "$st" = confirmed
ok "action=disable: no profile enabled on the card" \
    test "$(e2e_card $E2E_ICCID_EUICC profile)" = none
ok "action=disable: the record says action=disable" \
    test "$(RCLI HGET ota:job:f-disable action)" = disable

# readback and format on a config job; a misplaced field refused by name.
e2e_job id f-read type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415 readback yes format compact >/dev/null
e2e_job id f-bad type switch iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    method imsi imsi 001010123456789 action enable >/dev/null
st=$(e2e_wait f-read)
ok "config readback=yes format=compact: confirmed (got '$st')" test "$st" = confirmed
ok "config readback=yes format=compact: EF_FPLMN written" \
    test "$(e2e_card $E2E_ICCID_UICC ef.6f7b)" = 32f451ffffffffffffffffff
st=$(e2e_wait f-bad)
d=$(e2e_event f-bad rejected)
ok "action on method=imsi: rejected naming the field ($d)" \
    grep -q "^action: does not apply" <<<"$d"

# The same through otactl, as the platform would: enqueue, then status.
id=$("$OTACTL" enqueue config --id f-ctl --iccid $E2E_ICCID_SIM --msisdn $E2E_MSISDN_SIM \
    --file fplmn --value 26201 --tag ctl -c "$E2E_CONF")
ok "otactl enqueue -c: prints the job id" test "$id" = f-ctl
st=$(e2e_wait f-ctl)
ok "otactl enqueue: the job is confirmed (got '$st')" test "$st" = confirmed
"$OTACTL" status f-ctl -c "$E2E_CONF" >"$TMP/status"
ok "otactl status: state confirmed" grep -qE '^  state +confirmed$' "$TMP/status"
ok "otactl status: its four events in order" \
    test "$(grep -oE '^  [0-9T:.Z-]+ [a-z]+' "$TMP/status" | awk '{print $2}' | tr '\n' ' ')" = \
    "received submitted delivered confirmed "

e2e_stop_gw
ok "otagw exits 0 on SIGTERM" test "$E2E_GW_RC" = 0
