/* Reading the container's output (stdout and stderr pipes, or the pty master) and handing each
 * chunk to the json-file log and to every attach client. */
#ifndef BERTH_MONITOR_OUTPUT_H
#define BERTH_MONITOR_OUTPUT_H

#include <stdbool.h>

/* Takes ownership of the fds (made nonblocking); err_fd is -1 with a tty. */
int output_start(int out_fd, int err_fd);
/* True once every source reached end of file (EIO for a pty whose other side closed). */
bool output_done(void);
/* Reads whatever is available now from every open source, without waiting. */
void output_drain(void);
void output_close(void);

#endif
