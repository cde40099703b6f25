/* file.h — a whole (small) file read into memory, for the loaders that parse
 * text files at start: the E.164 table (e164.c) and otasim's cards file.
 * Owned by gateway/file.c. */
#ifndef OTAGW_GATEWAY_FILE_H
#define OTAGW_GATEWAY_FILE_H

#include <stddef.h>

/* Reads the file at path into a malloc'd buffer (*out, *outlen bytes, not
 * NUL-terminated; the caller frees it). A file that reaches max bytes is
 * refused, so a mistaken path (a device, a huge log) cannot eat memory.
 * Returns 0, or -errno: fopen's error, -EFBIG, -ENOMEM, -EIO; on error *out
 * is NULL and what was read has been wiped (it may hold key material). */
__attribute__((warn_unused_result)) int gw_file_read(const char *path, size_t max, char **out,
                                                     size_t *outlen);

#endif
