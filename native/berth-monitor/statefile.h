/* Files in the state directory, always reached through its dirfd. */
#ifndef BERTH_MONITOR_STATEFILE_H
#define BERTH_MONITOR_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Atomic replace (temp file, rename): whole for readers and across process kills; not fsynced (see statefile.c). */
int state_write_atomic(int dirfd, const char *name, const char *data, size_t len);
/* Reads a pid file (decimal, optional trailing whitespace). */
int state_read_pid(int dirfd, const char *name, pid_t *pid);
/* Unlinks name; a missing file is not an error. */
void state_remove(int dirfd, const char *name);

#endif
