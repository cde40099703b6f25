/* ctl.h — what otactl's subcommands share: the dispatch table's entry
 * points, option parsing from a table, hex arguments, one-line errors.
 *
 * Exit statuses (stable, scripts rely on them): 0 done; 1 the operation
 * failed (e.g. a PoR that does not verify); 2 bad input (usage, odd hex,
 * wrong key length, reserved SPI value, oversized payload). Every error is
 * one line on stderr, "otactl <cmd>: <reason>". */
#ifndef OTAGW_CTL_CTL_H
#define OTAGW_CTL_CTL_H

#include <stddef.h>
#include <stdint.h>

enum { CTL_EXIT_OK = 0, CTL_EXIT_FAIL = 1, CTL_EXIT_USAGE = 2 };

/* A subcommand: argv[0] is its name; returns the exit status. Adding one is
 * a row in otactl.c's table, a line here, and ctl/cmd_<name>.c. */
int cmd_packet(int argc, char **argv);
int cmd_por(int argc, char **argv);
int cmd_script(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_enqueue(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_card(int argc, char **argv);

/* One "--name VALUE" option (or "--name=VALUE"; flags take no value). */
struct ctl_opt {
    const char *name; /* without the leading "--" */
    int flag;         /* 1: no value; *val is set to "1" when present */
    const char **val; /* where the value goes; left as is when absent */
};

/* Parses argv[1..] against opts; what is not an option goes to pos (at
 * most maxpos entries), "--" ends the options. Returns the number of
 * positional arguments, or -1 after printing a one-line error. */
int ctl_parse(const char *cmd, int argc, char **argv, const struct ctl_opt *opts, size_t nopts,
              char **pos, int maxpos);

/* Decodes hex argument s of option `what` into out: exactly `exact` octets
 * when exact > 0, else at most cap. Returns the octet count, or -1 after
 * printing a one-line error. A NULL s is "missing". */
long ctl_hex(const char *cmd, const char *what, const char *s, uint8_t *out, size_t cap,
             size_t exact);

/* Prints "otactl <cmd>: <message>" on stderr. */
void ctl_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct c348_params;

/* Fills p's SPI, KIc, KID and keys from hex option values (spi 2 octets,
 * kic/kid 1 octet, keys up to 32 octets, absent keys empty), then checks
 * them with c348_params_check. Returns 0, or -1 after a one-line error. */
int ctl_c348_params(const char *cmd, const char *spi, const char *kic, const char *kid,
                    const char *kic_key, const char *kid_key, struct c348_params *p);

/* Prints the hex of d as one line on stdout. */
void ctl_print_hex(const char *prefix, const uint8_t *d, size_t n);

#endif
