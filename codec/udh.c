/* udh.c — SMS-PP transport of secured packets (see udh.h): the User Data
 * Header of TS 23.040 §9.2.3.24 with the CPI/RPI of TS 31.115 §4.2/§4.3,
 * concatenation (TS 23.040 §9.2.3.24.1 8-bit reference, §9.2.3.24.8 16-bit
 * reference) and a reassembly table in caller memory. */
#include "codec/udh.h"

#include <stddef.h>
#include <string.h>

const char *udh_strerror(int err)
{
    switch (err) {
    case UDH_OK:
        return "ok";
    case UDH_ERR_ARG:
        return "invalid argument";
    case UDH_ERR_TOO_LONG:
        return "too long for the concatenation limit";
    case UDH_ERR_TRUNC:
        return "user data header truncated";
    case UDH_ERR_MALFORMED:
        return "malformed concatenation information element";
    case UDH_ERR_CONFLICT:
        return "segment repeated with different content";
    default:
        return "unknown error";
    }
}

/* Number of SMs for len octets behind UDH first/next capacities. */
static unsigned sm_count(size_t len, size_t first, size_t next)
{
    if (len == 0)
        return 0;
    if (len <= UDH_SINGLE_MAX)
        return 1;
    size_t n = 1 + (len - first + next - 1) / next;
    return n > UDH_SM_MAX ? 0 : (unsigned)n;
}

unsigned udh_cmd_sm_count(size_t secured_len)
{
    return sm_count(secured_len, UDH_FIRST_CAP8, UDH_NEXT_CAP8);
}

int udh_split(uint8_t iei, const uint8_t *pkt, size_t len, enum udh_ref kind, uint16_t ref,
              struct udh_sm *out, size_t max)
{
    size_t first = kind == UDH_REF16 ? UDH_FIRST_CAP16 : UDH_FIRST_CAP8;
    size_t next = kind == UDH_REF16 ? UDH_NEXT_CAP16 : UDH_NEXT_CAP8;
    unsigned n;
    size_t off = 0;

    if ((iei != UDH_IEI_CPI && iei != UDH_IEI_RPI) || pkt == NULL || out == NULL || len == 0 ||
        (kind != UDH_REF8 && kind != UDH_REF16))
        return UDH_ERR_ARG;
    if ((n = sm_count(len, first, next)) == 0)
        return UDH_ERR_TOO_LONG;
    if (n > max)
        return UDH_ERR_ARG;
    if (n == 1) {
        /* TS 31.115 §4.2: UDHL 02, IEI 70 (or 71), IEIDL 00, then the packet. */
        out[0].ud[0] = 0x02;
        out[0].ud[1] = iei;
        out[0].ud[2] = 0x00;
        memcpy(out[0].ud + 3, pkt, len);
        out[0].len = (uint8_t)(len + 3);
        return 1;
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *u = out[i].ud;
        size_t h = 0, cap = i == 0 ? first : next, chunk;

        /* UDHL is filled in below. The concatenation IE comes first, the
         * CPI/RPI only in the first segment (TS 31.115 §4.2 table "first
         * short message"; a receiver here accepts it in any segment). */
        u[h++] = 0;
        if (kind == UDH_REF16) {
            u[h++] = UDH_IEI_CONCAT16;
            u[h++] = 4;
            u[h++] = (uint8_t)(ref >> 8);
            u[h++] = (uint8_t)ref;
        } else {
            u[h++] = UDH_IEI_CONCAT8;
            u[h++] = 3;
            u[h++] = (uint8_t)ref;
        }
        u[h++] = (uint8_t)n;
        u[h++] = (uint8_t)(i + 1);
        if (i == 0) {
            u[h++] = iei;
            u[h++] = 0;
        }
        u[0] = (uint8_t)(h - 1);
        chunk = len - off < cap ? len - off : cap;
        memcpy(u + h, pkt + off, chunk);
        off += chunk;
        out[i].len = (uint8_t)(h + chunk);
    }
    return (int)n;
}

int udh_parse(const uint8_t *ud, size_t len, struct udh_info *out)
{
    size_t udhl, i;

    if (ud == NULL || out == NULL)
        return UDH_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (len < 1)
        return UDH_ERR_TRUNC;
    udhl = ud[0];
    if (udhl + 1 > len)
        return UDH_ERR_TRUNC;
    for (i = 1; i < 1 + udhl;) {
        uint8_t iei, l;
        if (i + 2 > 1 + udhl)
            return UDH_ERR_TRUNC;
        iei = ud[i];
        l = ud[i + 1];
        if (i + 2 + l > 1 + udhl)
            return UDH_ERR_TRUNC;
        const uint8_t *v = ud + i + 2;
        switch (iei) {
        case UDH_IEI_CONCAT8:
        case UDH_IEI_CONCAT16: {
            int wide = iei == UDH_IEI_CONCAT16;
            if (l != (wide ? 4 : 3))
                return UDH_ERR_MALFORMED;
            /* TS 23.040 §9.2.3.24.1: total 0 and seq 0 or > total are
             * invalid; the IE is then to be ignored, and for a secured
             * packet ignoring it would corrupt the packet, so refuse. */
            out->concat = wide ? 16 : 8;
            out->ref = wide ? (uint16_t)(v[0] << 8 | v[1]) : v[0];
            out->total = v[wide ? 2 : 1];
            out->seq = v[wide ? 3 : 2];
            if (out->total == 0 || out->seq == 0 || out->seq > out->total)
                return UDH_ERR_MALFORMED;
            break;
        }
        case UDH_IEI_CPI:
        case UDH_IEI_RPI:
            /* TS 31.115 §4.2/§4.3: IEIDL is 00; and one packet cannot be
             * both a command and a response. */
            if (l != 0 || (out->iei != 0 && out->iei != iei))
                return UDH_ERR_MALFORMED;
            out->iei = iei;
            break;
        default: /* other IEs (TS 23.040 §9.2.3.24) do not concern us */
            break;
        }
        i += 2 + (size_t)l;
    }
    out->payload = ud + 1 + udhl;
    out->payload_len = len - 1 - udhl;
    return 0;
}

/* ---- reassembly ---------------------------------------------------------- */

void udh_reasm_init(struct udh_reasm *r, struct udh_reasm_slot *slots, size_t nslots, uint64_t ttl)
{
    memset(r, 0, sizeof *r);
    r->slots = slots;
    r->nslots = slots != NULL ? nslots : 0;
    r->ttl = ttl;
    for (size_t i = 0; i < r->nslots; i++)
        slots[i].used = 0;
}

size_t udh_reasm_expire(struct udh_reasm *r, uint64_t now)
{
    size_t n = 0;

    if (r == NULL)
        return 0;
    for (size_t i = 0; i < r->nslots; i++) {
        if (r->slots[i].used && r->slots[i].deadline <= now) {
            r->slots[i].used = 0;
            n++;
        }
    }
    r->expired += n;
    return n;
}

static void origin_copy(char dst[UDH_ORIGIN_MAX], const char *src)
{
    size_t n = strlen(src);
    if (n > UDH_ORIGIN_MAX - 1)
        n = UDH_ORIGIN_MAX - 1;
    memcpy(dst, src, n);
    memset(dst + n, 0, UDH_ORIGIN_MAX - n);
}

static struct udh_reasm_slot *slot_find(struct udh_reasm *r, const char origin[UDH_ORIGIN_MAX],
                                        const struct udh_info *in)
{
    for (size_t i = 0; i < r->nslots; i++) {
        struct udh_reasm_slot *s = &r->slots[i];
        if (s->used && s->ref == in->ref && s->ref16 == (in->concat == 16) &&
            s->total == in->total && memcmp(s->origin, origin, UDH_ORIGIN_MAX) == 0)
            return s;
    }
    return NULL;
}

/* A free slot, or the oldest partial message evicted to make one. */
static struct udh_reasm_slot *slot_take(struct udh_reasm *r)
{
    struct udh_reasm_slot *oldest = NULL;

    for (size_t i = 0; i < r->nslots; i++) {
        struct udh_reasm_slot *s = &r->slots[i];
        if (!s->used)
            return s;
        if (oldest == NULL || s->born < oldest->born)
            oldest = s;
    }
    if (oldest != NULL)
        r->evicted++;
    return oldest;
}

int udh_reasm_add(struct udh_reasm *r, const char *origin, uint64_t now, const uint8_t *ud,
                  size_t len, struct udh_msg *out)
{
    struct udh_info in;
    struct udh_reasm_slot *s;
    char org[UDH_ORIGIN_MAX];
    unsigned bit;
    int rc;

    if (r == NULL || ud == NULL || out == NULL)
        return UDH_ERR_ARG;
    if (len > UDH_TPUD_MAX)
        return UDH_ERR_TOO_LONG;
    if ((rc = udh_parse(ud, len, &in)) != 0)
        return rc;
    if (in.concat == 0) {
        out->iei = in.iei;
        out->len = in.payload_len;
        memcpy(out->data, in.payload, in.payload_len);
        return UDH_R_COMPLETE;
    }
    if (in.total > UDH_SM_MAX)
        return UDH_ERR_TOO_LONG;
    if (r->nslots == 0)
        return UDH_ERR_ARG;
    origin_copy(org, origin != NULL ? origin : "");
    udh_reasm_expire(r, now);

    bit = 1u << (in.seq - 1);
    if ((s = slot_find(r, org, &in)) != NULL && (s->have & bit)) {
        if (s->seg_len[in.seq - 1] == in.payload_len &&
            memcmp(s->seg[in.seq - 1], in.payload, in.payload_len) == 0)
            return UDH_R_DUPLICATE;
        return UDH_ERR_CONFLICT;
    }
    if (s == NULL) {
        s = slot_take(r);
        /* Everything but the segment bytes (the last member) is reset. */
        memset(s, 0, offsetof(struct udh_reasm_slot, seg));
        s->used = 1;
        s->ref16 = in.concat == 16;
        s->ref = in.ref;
        s->total = in.total;
        memcpy(s->origin, org, UDH_ORIGIN_MAX);
        s->born = now;
        s->deadline = now + r->ttl < now ? UINT64_MAX : now + r->ttl;
    }
    memcpy(s->seg[in.seq - 1], in.payload, in.payload_len);
    s->seg_len[in.seq - 1] = (uint8_t)in.payload_len;
    s->have |= bit;
    if (in.iei != 0)
        s->iei = in.iei;
    if (s->have != (s->total == 32 ? 0xFFFFFFFFu : (1u << s->total) - 1))
        return UDH_R_PENDING;

    /* Complete: join the segments in sequence order; the slot is free again. */
    size_t total = 0;
    for (unsigned i = 0; i < s->total; i++)
        total += s->seg_len[i];
    s->used = 0;
    if (total > UDH_PAYLOAD_MAX)
        return UDH_ERR_TOO_LONG;
    out->iei = s->iei;
    out->len = 0;
    for (unsigned i = 0; i < s->total; i++) {
        memcpy(out->data + out->len, s->seg[i], s->seg_len[i]);
        out->len += s->seg_len[i];
    }
    return UDH_R_COMPLETE;
}
