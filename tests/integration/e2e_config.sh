#!/bin/bash
# e2e_config.sh — `config` and `apdu` jobs end to end, and the other
# keysets: EF contents changed on otasim's cards, jobs `confirmed`; a job
# with por=none ends at `delivered`; /metrics counts what happened.
. tests/lib/e2e.sh
E2E_METRICS=1
e2e_start || { echo "not ok - start redis, otasim, otagw"; exit 1; }
e2e_cards_register

# EF_FPLMN (6F7B, 12 octets): 234-15 and 262-01, FF-padded (TS 31.102 §4.2.16).
e2e_job id cfg-fplmn type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 23415,26201 >/dev/null
st=$(e2e_wait cfg-fplmn)
ok "config fplmn: confirmed (got '$st')" test "$st" = confirmed
ok "config fplmn: EF_FPLMN = 32f451 62f210 ff.." \
    test "$(e2e_card $E2E_ICCID_UICC ef.6f7b)" = 32f45162f210ffffffffffff

# EF_PLMNwAcT (6F60, 40 octets): 234-15 with E-UTRAN + UTRAN (C000).
e2e_job id cfg-plmnwact type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file plmnwact value 23415:eutran+utran >/dev/null
st=$(e2e_wait cfg-plmnwact)
ok "config plmnwact: confirmed (got '$st')" test "$st" = confirmed
ok "config plmnwact: EF_PLMNwAcT starts 32f451 c000" \
    bash -c "[[ '$(e2e_card $E2E_ICCID_UICC ef.6f60)' == 32f451c000* ]]"

# apdu: raw C-APDUs to a TAR (SELECT EF_HPLMNwAcT 6F62 under ADF USIM, then
# UPDATE BINARY of 5 octets).
e2e_job id apdu-1 type apdu iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC tar b00011 \
    apdus 00a40004026f62,00d600000562f2204000 >/dev/null
st=$(e2e_wait apdu-1)
ok "apdu: confirmed (got '$st')" test "$st" = confirmed
ok "apdu: EF_HPLMNwAcT starts with the 5 octets written" \
    bash -c "[[ '$(e2e_card $E2E_ICCID_UICC ef.6f62)' == 62f2204000* ]]"
e2e_sim_ctl flush >/dev/null
ok "apdu: the card ran one packet on TAR b00011 (otasim's journal)" \
    grep -q "iccid=$E2E_ICCID_UICC .*tar=b00011 rsc=00 executed=1" "$E2E/journal.log"

# AES-128 + CMAC keyset (ks2), ciphered PoR.
e2e_job id aes-imsi type switch iccid $E2E_ICCID_AES msisdn $E2E_MSISDN_AES \
    method imsi imsi 310150123456789 >/dev/null
st=$(e2e_wait aes-imsi)
ok "AES keyset: confirmed (got '$st')" test "$st" = confirmed
ok "AES keyset: the card's IMSI is the new one" \
    test "$(e2e_card $E2E_ICCID_AES imsi)" = 310150123456789

# A keyset whose PoR has no security (SPI 16 21): CNTR clear in the PoR.
e2e_job id plain-fplmn type config iccid $E2E_ICCID_PLAIN msisdn $E2E_MSISDN_PLAIN \
    file fplmn value 20801 >/dev/null
st=$(e2e_wait plain-fplmn)
ok "unsecured-PoR keyset: confirmed (got '$st')" test "$st" = confirmed

# por=none: the job ends at delivered (DESIGN: no PoR asked, SPI2 b2b1 00).
e2e_job id nopor type config iccid $E2E_ICCID_UICC msisdn $E2E_MSISDN_UICC \
    file fplmn value 00101 por none >/dev/null
st=$(e2e_wait nopor 20 "delivered confirmed failed rejected expired")
ok "por=none: ends at delivered (got '$st')" test "$st" = delivered
sleep 0.3
ok "por=none: and stays there (the card sent no PoR)" \
    test "$(redis-cli -p $REDIS_PORT HGET ota:job:nopor state)" = delivered
ok "por=none: the card still ran it" \
    test "$(e2e_card $E2E_ICCID_UICC ef.6f7b)" = 00f110ffffffffffffffffff

# Metrics: what the gateway did, by carrier and country.
curl -s "http://127.0.0.1:$E2E_METRICS_PORT/metrics" >"$TMP/metrics.txt"
ok "/metrics answers" grep -q '^otagw_' "$TMP/metrics.txt"
ok "/metrics: submits counted for carrier sim, country GB" \
    grep -qE '^otagw_submits_total\{[^}]*carrier="sim"[^}]*country="GB"[^}]*\} [1-9]' "$TMP/metrics.txt"
ok "/metrics: PoRs counted" grep -qE '^otagw_por_total\{.*\} [1-9]' "$TMP/metrics.txt"
ok "/metrics: receipts counted with the handset's country (GB, from the receipt's source_addr)" \
    grep -qE '^otagw_receipts_total\{[^}]*carrier="sim"[^}]*country="GB"[^}]*stat="DELIVRD"\} [1-9]' "$TMP/metrics.txt"
ok "/metrics: confirmed jobs counted with carrier and country" \
    grep -qE '^otagw_jobs_total\{[^}]*carrier="sim"[^}]*country="GB"[^}]*state="confirmed"\} [1-9]' "$TMP/metrics.txt"
ok "/metrics: otagw_por_unverified_total is exported" \
    grep -q '^# TYPE otagw_por_unverified_total counter' "$TMP/metrics.txt"
ok "/metrics: bind up" grep -qE '^otagw_bind_up\{[^}]*carrier="sim"[^}]*\} 1' "$TMP/metrics.txt"

e2e_stop_gw
ok "SIGTERM: otagw exits 0 (got $E2E_GW_RC)" test "$E2E_GW_RC" = 0
done_testing
