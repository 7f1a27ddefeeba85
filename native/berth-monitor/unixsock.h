/* Listening unix sockets inside the state directory. */
#ifndef BERTH_MONITOR_UNIXSOCK_H
#define BERTH_MONITOR_UNIXSOCK_H

#include <stddef.h>

/* Binds (mode 0600) and listens on dir/name; nonblocking and close-on-exec. A path too long for
 * sun_path is reached as /proc/<pid>/fd/<dirfd>/name, which other processes of the same user
 * can connect to while the monitor lives. The path to connect to is written to path. */
int unix_listen(const char *dir, int dirfd, const char *name, char *path, size_t path_cap);
/* accept4 (nonblocking, close-on-exec); -1 with errno EAGAIN when nobody is waiting. */
int unix_accept(int listen_fd);

#endif
