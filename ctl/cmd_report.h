/* cmd_report.h — `otactl report` (see cmd_report.c for its options). */
#ifndef OTAGW_CTL_CMD_REPORT_H
#define OTAGW_CTL_CMD_REPORT_H

/* argv[0] is "report". Returns the process exit status: 0 done, 1 failed
 * (Redis unreachable, write error), 2 bad usage. */
int cmd_report(int argc, char **argv);

#endif
