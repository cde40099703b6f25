/* file.c — reads a whole file into memory (file.h). */
#include "gateway/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

int gw_file_read(const char *path, size_t max, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) /* fread stops short only at the end or on an error */
            break;
        if (cap >= max) {
            rc = -EFBIG;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            rc = -ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc != 0) {
        if (buf) {
            OPENSSL_cleanse(buf, len);
            free(buf);
        }
        return rc;
    }
    *out = buf;
    *outlen = len;
    return 0;
}
