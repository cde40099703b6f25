/* e164.h — E.164 number -> ISO 3166-1 alpha-2 country, by longest prefix.
 *
 * Owned by gateway/e164.c. The table is shipped data (conf/e164.csv:
 * "prefix,CC" per line, '#' comments) loaded once into a digit trie, so a
 * lookup costs one step per digit of the number and never allocates. Shared
 * country codes are split by longer prefixes: +1 by NANP area code (US, CA,
 * the Caribbean members), +7 (RU, KZ on 76/77), +44 (GB and the crown
 * dependencies), +39 (IT, VA on 06698), ...
 *
 * Also the two small pure facts other parts need: the length of an E.164
 * country code (ITU-T E.164 assigns 1 to 3 digit codes as a prefix code),
 * and whether two letters are an assigned ISO 3166-1 alpha-2 code. */
#ifndef OTAGW_GATEWAY_E164_H
#define OTAGW_GATEWAY_E164_H

#include <stddef.h>

#define GW_E164_MAX_DIGITS 15 /* ITU-T E.164 §6: at most 15 digits */

enum gw_e164_err {
    GW_E164_OK = 0,
    GW_E164_EMPTY = -1,      /* no digits */
    GW_E164_NOT_DIGITS = -2, /* something else than an optional '+' then digits */
    GW_E164_TOO_LONG = -3,   /* more than 15 digits */
    GW_E164_UNKNOWN = -4,    /* no prefix of the table matches */
};

struct gw_e164;

/* Loads a table file. Returns 0, or -1 with "file:line: reason" in err
 * (bad prefix, unknown country, duplicate prefix). */
__attribute__((warn_unused_result)) int gw_e164_load(const char *path, struct gw_e164 **out,
                                                     char *err, size_t errlen);

/* The same from text in memory (len bytes, NUL not needed); name is used in
 * error messages. What the fuzz target drives. */
__attribute__((warn_unused_result)) int gw_e164_parse(const char *text, size_t len,
                                                      const char *name, struct gw_e164 **out,
                                                      char *err, size_t errlen);

void gw_e164_free(struct gw_e164 *t);

/* Number of prefixes in the table. */
size_t gw_e164_count(const struct gw_e164 *t);

/* Finds the country of msisdn (optional leading '+', then 1..15 digits).
 * On success writes the alpha-2 code and NUL into country[3] and, when
 * prefix_len is not NULL, the length of the matching prefix. Returns
 * GW_E164_OK or a negative enum gw_e164_err. */
__attribute__((warn_unused_result)) int gw_e164_lookup(const struct gw_e164 *t, const char *msisdn,
                                                       char country[3], size_t *prefix_len);

const char *gw_e164_strerror(int err);

/* Length (1..3) of the E.164 country code that digits starts with, from the
 * ITU-T list of assigned codes; 0 when digits does not start with a digit
 * 1..9. Spare or reserved codes count as 3 digits. */
size_t gw_e164_cc_len(const char *digits);

/* 1 when cc is exactly two upper-case letters forming an ISO 3166-1
 * alpha-2 code officially assigned, else 0. */
int gw_iso3166_valid(const char *cc);

#endif
