/* SIGCHLD through a signalfd. The monitor is a child subreaper, so the container process (and
 * every orphan of the runtime) ends up its child; all of them are reaped here. */
#ifndef BERTH_MONITOR_REAPER_H
#define BERTH_MONITOR_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

/* Blocks SIGCHLD and returns the signalfd (nonblocking), or -1. */
int reaper_init(void);
int reaper_fd(void);
/* Reaps every exited child, remembering the recent statuses. */
void reaper_collect(void);
/* If pid has been reaped, forgets it and returns true with its wait status. */
bool reaper_take(pid_t pid, int *status);

#endif
