/* Creating the container (or exec process): its stdio pipes or console socket, the runtime run,
 * and handing the monitor's ends to the output reader, the stdin sink and the control socket. */
#ifndef BERTH_MONITOR_CREATE_H
#define BERTH_MONITOR_CREATE_H

#include <sys/types.h>

#include "options.h"

/* Runs the runtime and wires the container's stdio into the loop; the attach and control
 * sockets must already listen. Sets *pid. -1 with the runtime's (or the monitor's) error set. */
int create_container(const struct options *o, int dirfd, pid_t *pid);

#endif
