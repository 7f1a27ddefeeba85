/* The container's stdin: a pipe, or the pty master. Writes never block the monitor; bytes the
 * container does not read yet are queued, and attach clients stop being read while the queue
 * is above its high-water mark (see attach.c). */
#ifndef BERTH_MONITOR_STDIN_SINK_H
#define BERTH_MONITOR_STDIN_SINK_H

#include <stdbool.h>
#include <stddef.h>

/* Takes ownership of fd (made nonblocking). on_drain runs when the queue falls below the mark. */
int stdin_sink_init(int fd, bool is_pty, void (*on_drain)(void));
/* True while bytes written would be queued past the high-water mark. */
bool stdin_sink_full(void);
/* Queues data for the container; discarded once stdin is closed. */
void stdin_sink_write(const char *data, size_t len);
/* Closes the container's stdin once the queue is written. A pty is never closed: the master
 * also carries the output. */
void stdin_sink_close(void);
/* Closes at once, dropping what is queued. */
void stdin_sink_shutdown(void);

#endif
