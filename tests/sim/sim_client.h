/* sim_client.h — `otasim --client`: a tiny blocking ESME for tests and
 * benchmarks, on the same codec (smppf) as the gateway. It binds, sends
 * the submits it is given within a window, answers what the SMSC sends,
 * and prints one line per PDU received (docs/simulator.md). */
#ifndef OTAGW_SIM_CLIENT_H
#define OTAGW_SIM_CLIENT_H

/* argv after "--client". Returns the process exit status. */
int sim_client_main(int argc, char **argv);

#endif
