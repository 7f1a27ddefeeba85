/* Running the OCI runtime's `create` (or `exec --detach`) and collecting what it leaves:
 * the container process's pid and, with a terminal, the pty master. */
#ifndef BERTH_MONITOR_RUNTIME_H
#define BERTH_MONITOR_RUNTIME_H

#include <sys/types.h>

#include "options.h"

struct runtime_request {
  const struct options *opts;
  int dirfd;
  int stdio[3];             /* the runtime's fds 0-2; without a tty the container inherits them */
  int capture_fd;           /* read end of the runtime's stderr, for errors it does not log */
  int console_fd;           /* listening console socket, or -1 without a tty */
  const char *console_path; /* its path, for --console-socket */
};

struct runtime_result {
  pid_t pid; /* the container (or exec) process */
  int pty;   /* pty master, or -1 */
};

/* Runs the runtime to completion. On failure returns -1 with the runtime's own message set. */
int runtime_run(const struct runtime_request *req, struct runtime_result *out);

#endif
