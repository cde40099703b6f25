/* fuzz_receipt.c — delivery receipt text (SMPP 3.4 Appendix B) and
 * message-id keys: first octet picks the id format and the receipt form,
 * the rest is short_message / message_payload / receipted_message_id. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/dlr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++, size--;
    struct smppf_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.esm_class = sel & 0x80 ? SMPPF_ESM_TYPE_INTERM : SMPPF_ESM_TYPE_RECEIPT;
    if (sel & 0x40) {
        sm.tlv.message_payload = data;
        sm.tlv.message_payload_len = (uint16_t)(size > 1024 ? 1024 : size);
    } else {
        sm.sm_length = (uint8_t)(size > 254 ? 254 : size);
        memcpy(sm.short_message, data, sm.sm_length);
    }
    if (sel & 0x20) {
        size_t l = size > 64 ? 64 : size;
        memcpy(sm.tlv.receipted_message_id, data, l);
        sm.tlv.receipted_message_id[l] = 0;
        sm.tlv.has_receipted_message_id = 1;
        sm.tlv.has_message_state = 1;
        sm.tlv.message_state = (uint8_t)(sel & 0x0f);
    }
    struct dlr_receipt r;
    if (dlr_parse(&sm, (enum dlr_idfmt)(sel % 6), &r) == DLR_OK) {
        if (r.nkeys < 1 || r.nkeys > DLR_KEYS || !r.id[0])
            __builtin_trap();
        for (unsigned i = 0; i < r.nkeys; i++)
            if (strnlen(r.keys[i], DLR_KEY_MAX) >= DLR_KEY_MAX)
                __builtin_trap();
        (void)dlr_stat_name(r.stat);
    }
    char id[DLR_ID_MAX];
    size_t l = size < DLR_ID_MAX - 1 ? size : DLR_ID_MAX - 1;
    memcpy(id, data, l);
    id[l] = 0;
    char keys[DLR_KEYS][DLR_KEY_MAX];
    (void)!dlr_msgid_keys(id, (enum dlr_idfmt)(sel % 6), sel & 1 ? DLR_ROLE_RESP : DLR_ROLE_RECEIPT,
                          keys);
    return 0;
}
