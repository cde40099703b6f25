/* inifile.h — INI files read through libinih, with the file:line of every
 * item.
 *
 * Owned by gateway/inifile.c; used by config.c and keystore.c. libinih calls
 * back per key only and without a line number; this wrapper feeds it the
 * file one line at a time from memory, so it knows the line of each key and
 * can report every section header (also an empty one) before its keys.
 * The whole file is read first and wiped with OPENSSL_cleanse afterwards:
 * the keystore goes through here.
 *
 * Syntax accepted: "[section]", "key = value" (or "key: value"), comments on
 * lines of their own starting with '#' or ';'. No inline comments (a ';' in
 * a password stays in the password), no continuation lines. */
#ifndef OTAGW_GATEWAY_INIFILE_H
#define OTAGW_GATEWAY_INIFILE_H

#include <stddef.h>

/* Longest line accepted, in characters, without its newline. */
#define GW_INI_LINE_MAX 4000
/* Largest file accepted. */
#define GW_INI_FILE_MAX (4u << 20)

/* Refuse a file that its group or others may read or write (keystores). */
#define GW_INI_PRIVATE 1u

/* Callbacks return 0, or -1 after writing a reason (without file:line, the
 * wrapper adds it) into err. section is the text between the brackets,
 * trimmed. */
typedef int (*gw_ini_section_fn)(void *arg, const char *section, int line, char *err,
                                 size_t errlen);
typedef int (*gw_ini_kv_fn)(void *arg, const char *section, const char *key, const char *value,
                            int line, char *err, size_t errlen);

/* Writes a formatted reason into err (the callbacks' and loaders' one way
 * of saying what is wrong). */
void gw_ini_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses path. Returns 0, or -1 with "path:line: reason" (or "path: reason"
 * for errors not tied to a line, such as open failures or the mode check)
 * in err. */
__attribute__((warn_unused_result)) int gw_ini_parse(const char *path, unsigned flags,
                                                     gw_ini_section_fn on_section,
                                                     gw_ini_kv_fn on_kv, void *arg, char *err,
                                                     size_t errlen);

#endif
