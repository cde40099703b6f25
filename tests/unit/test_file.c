/* test_file.c — gw_file_read: a file past the first 64 KiB buffer read
 * whole and byte for byte, an empty file, the size bound, a missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/file.h"

static char path[64];

static void write_file(size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 7 % 251), f);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/otagw-test-file.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void test_file_whole(void **state)
{
    (void)state;
    /* 200,001 bytes: the buffer grows twice (64 KiB -> 256 KiB). */
    write_file(200001);
    char *buf;
    size_t len;
    assert_int_equal(gw_file_read(path, 1u << 20, &buf, &len), 0);
    assert_int_equal(len, 200001);
    size_t bad = 0;
    for (size_t i = 0; i < len; i++)
        bad += (unsigned char)buf[i] != i * 7 % 251;
    assert_int_equal(bad, 0);
    free(buf);
    /* Exactly one buffer's worth: the read at the end finds nothing more. */
    write_file(1 << 16);
    assert_int_equal(gw_file_read(path, 1u << 20, &buf, &len), 0);
    assert_int_equal(len, 1 << 16);
    free(buf);
    write_file(0);
    assert_int_equal(gw_file_read(path, 1u << 20, &buf, &len), 0);
    assert_int_equal(len, 0);
    free(buf);
}

static void test_file_refused(void **state)
{
    (void)state;
    char *buf = (char *)1;
    size_t len = 7;
    /* Reaching the bound is refused (the bound is a buffer size). */
    write_file(1u << 17);
    assert_int_equal(gw_file_read(path, 1u << 17, &buf, &len), -EFBIG);
    assert_null(buf);
    assert_int_equal(len, 0);
    write_file((1u << 17) - 1);
    assert_int_equal(gw_file_read(path, 1u << 17, &buf, &len), 0);
    assert_int_equal(len, (1u << 17) - 1);
    free(buf);
    assert_int_equal(gw_file_read("/nonexistent/otagw-file", 1u << 20, &buf, &len), -ENOENT);
    assert_null(buf);
    /* A directory opens but cannot be read. */
    assert_int_equal(gw_file_read("/tmp", 1u << 20, &buf, &len), -EIO);
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_whole),
        cmocka_unit_test(test_file_refused),
    };
    return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
