/* script.h — queue-internal: the Lua text of the job state machine. */
#ifndef OTAGW_QUEUE_SCRIPT_H
#define OTAGW_QUEUE_SCRIPT_H

extern const char jobq_script_body[];

#endif
