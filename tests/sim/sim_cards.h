/* sim_cards.h — the card file: parser and state dump.
 *
 * The card file is line-oriented INI (format in docs/simulator.md): keyset
 * sections in the gateway keystore's own syntax (docs/DESIGN.md), so that a
 * test writes one keystore for both sides, and one section per card. The
 * parser is hand-written rather than libinih because inih's line limit
 * (200) is shorter than a file's hex contents; it is strict (unknown keys
 * in a card section, bad hex, out-of-range values are errors naming the
 * file and line) and is fuzzed by tests/fuzz/fuzz_simcards.c. Unknown keys
 * in a keyset section are counted as warnings: the keystore belongs to the
 * gateway, which may grow keys the card does not need. */
#ifndef OTAGW_SIM_CARDS_H
#define OTAGW_SIM_CARDS_H

#include <stddef.h>
#include <stdio.h>

#include "tests/sim/sim_card.h"

#define SIM_LINE_MAX 4096

/* Parses text[0..len) (a whole file) into w. name is used in messages.
 * Returns 0, or -EINVAL with "name:line: reason" in err. */
__attribute__((warn_unused_result)) int sim_cards_parse(struct sim_world *w, const char *text,
                                                        size_t len, const char *name, char *err,
                                                        size_t errlen);

/* Reads and parses the file at path. 0, -errno (err filled). */
__attribute__((warn_unused_result)) int sim_cards_load(struct sim_world *w, const char *path,
                                                       char *err, size_t errlen);

/* After every file: resolves card keyset names, builds the lookups.
 * 0 or -EINVAL / -EEXIST / -ENOMEM with err filled. */
__attribute__((warn_unused_result)) int sim_cards_finish(struct sim_world *w, char *err,
                                                         size_t errlen);

/* Writes the state of every card (or one, iccid non-NULL) as "KEY VALUE"
 * lines, KEY = ICCID.field: imsi, active_slot, profile, counter.KEYSET,
 * used.KEYSET, ef.FID, packets, executed, rejected, pors, apdus, switches.
 * Never writes key material. Returns the number of cards written. */
int sim_cards_dump(const struct sim_world *w, const char *iccid, FILE *f);

#endif
