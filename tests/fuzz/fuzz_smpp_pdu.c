/* fuzz_smpp_pdu.c — the whole SMPP receive path of a bind: a byte stream is
 * cut into PDUs exactly as gateway/bind.c's reader does (header check
 * before waiting for a body, command_length bounds, unknown commands
 * skipped), each PDU goes through smppf_decode,
 * receipts through dlr_parse, and every decoded PDU is encoded again.
 * smppf_decode_lib (libsmpp34's second pass on every PDU) must give the
 * same answer and the same PDU: the daemon's decoder leaves that pass out
 * for the per-message PDUs. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/dlr.h"
#include "codec/smppf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (size - off >= SMPPF_HDR_LEN) {
        struct smppf_hdr h;
        enum smppf_err e = smppf_header_check(data + off, size - off, &h);
        if (e == SMPPF_ERR_LEN)
            return 0; /* the bind closes */
        if (size - off < h.command_length)
            return 0; /* waits for the body */
        struct smppf_pdu p, l;
        e = smppf_decode(data + off, h.command_length, &p);
        if (smppf_decode_lib(data + off, h.command_length, &l) != e ||
            (e == SMPPF_OK && memcmp(&p, &l, sizeof p) != 0))
            __builtin_trap();
        if (e == SMPPF_OK) {
            uint8_t out[SMPPF_PDU_MAX + 64];
            size_t len = 0;
            if (smppf_encode(&p, out, sizeof out, &len) == SMPPF_OK) {
                struct smppf_pdu q;
                /* What we build, we read back. */
                if (smppf_decode(out, len, &q) != SMPPF_OK)
                    __builtin_trap();
            }
            if (p.hdr.command_id == SMPPF_DELIVER_SM || p.hdr.command_id == SMPPF_SUBMIT_SM) {
                struct dlr_receipt r;
                for (int f = DLR_ID_AUTO; f <= DLR_ID_DEC_HEX; f++)
                    (void)!dlr_parse(&p.u.sm, (enum dlr_idfmt)f, &r);
            }
            (void)smppf_status_name(p.hdr.command_status);
        } else {
            (void)smppf_err_status(e);
        }
        off += h.command_length;
    }
    return 0;
}
