/* fuzz_config.c — libFuzzer target for the INI readers: gateway/config.c
 * (through gateway/inifile.c and libinih) and gateway/keystore.c.
 *
 * Both read files, so each input is written to a private file first (mode
 * 0600, as the keystore demands). Contract: any bytes give a result or a
 * one-line error that starts with the file's path, never a crash; a
 * configuration that loads prints as one that loads again and prints the
 * same (gw_config_print round-trips). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], in_path[128], out_path[128];

static void cleanup(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
    if (chmod(path, 0600) != 0)
        abort();
}

static char *print_str(const struct gw_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    gw_config_print(c, f);
    fclose(f);
    char *nl = strchr(buf, '\n'); /* the first line names the file */
    memmove(buf, nl + 1, strlen(nl + 1) + 1);
    return buf;
}

static void check_err(const char *err, const char *path)
{
    if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':' || strchr(err, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/otagw-fuzz-config.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(in_path, sizeof in_path, "%s/in.conf", dir);
        snprintf(out_path, sizeof out_path, "%s/out.conf", dir);
        atexit(cleanup);
    }
    write_file(in_path, data, size);
    char err[1024] = "";

    struct gw_config *c = gw_config_load(in_path, err, sizeof err);
    if (!c) {
        check_err(err, in_path);
    } else {
        char *p1 = print_str(c);
        write_file(out_path, p1, strlen(p1));
        struct gw_config *c2 = gw_config_load(out_path, err, sizeof err);
        if (!c2) {
            fprintf(stderr, "printed configuration does not load: %s\n", err);
            abort();
        }
        char *p2 = print_str(c2);
        if (strcmp(p1, p2) != 0)
            abort();
        free(p1);
        free(p2);
        gw_config_free(c2);
        gw_config_free(c);
    }

    struct gw_keystore *ks = NULL;
    err[0] = '\0';
    if (gw_keystore_load(in_path, &ks, err, sizeof err) != 0)
        check_err(err, in_path);
    else if (gw_keystore_count(ks) == 0)
        abort();
    gw_keystore_free(ks);
    return 0;
}
