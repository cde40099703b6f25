/* hex.h — hexadecimal text <-> octets, shared by every folder.
 *
 * No allocation, no I/O. Both directions are strict: an odd number of
 * digits or a non-hex character is an error, never silently skipped. */
#ifndef OTAGW_CODEC_HEX_H
#define OTAGW_CODEC_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the hex digits of s (upper or lower case, no separators) into out.
 * Returns the number of octets written, or -1 when s has an odd length, a
 * non-hex character, or more than outcap octets. */
__attribute__((warn_unused_result)) long hex_decode(const char *s, uint8_t *out, size_t outcap);

/* As hex_decode, for the first slen characters of s. */
__attribute__((warn_unused_result)) long hex_decode_n(const char *s, size_t slen, uint8_t *out,
                                                      size_t outcap);

/* Writes 2*len lower-case digits and a NUL into out (outcap >= 2*len+1).
 * Returns out, or NULL when it does not fit. */
char *hex_encode(const uint8_t *in, size_t len, char *out, size_t outcap);

#endif
