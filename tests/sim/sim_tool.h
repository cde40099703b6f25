/* sim_tool.h — `otasim --packet` and `otasim --open-por`: the gateway's
 * codec (codec/c348, codec/udh) driven from the command line, so that shell
 * tests send the simulated cards packets built by the code under test and
 * open the cards' PoRs with it (the card side is independent: sim_card.c). */
#ifndef OTAGW_SIM_TOOL_H
#define OTAGW_SIM_TOOL_H

/* argv after the mode flag. Returns the exit status. */
int sim_tool_packet(int argc, char **argv);
int sim_tool_open_por(int argc, char **argv);

#endif
