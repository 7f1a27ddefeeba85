#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * No fsync: the state directory is under the exec root, state of this boot only (a tmpfs on
 * most hosts). The rename alone keeps readers from a torn file and survives berthd or this
 * monitor being killed; only a power loss could undo it, and that ends every container with
 * it. Two fsyncs before the runtime ran and two after the exit cost 5-10 ms of every
 * `docker run` where the exec root is on a disk.
 */
int state_write_atomic(int dirfd, const char *name, const char *data, size_t len) {
  char tmp[300];
  snprintf(tmp, sizeof tmp, ".%s.tmp", name);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    set_syserror("cannot create %s", tmp);
    return -1;
  }
  if (write_all(fd, data, len) < 0) {
    set_syserror("cannot write %s", tmp);
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  close(fd);
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    set_syserror("cannot rename %s to %s", tmp, name);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

int state_read_pid(int dirfd, const char *name, pid_t *pid) {
  char text[32];
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    set_syserror("cannot open the pid file %s", name);
    return -1;
  }
  ssize_t n = read_retry(fd, text, sizeof text - 1);
  int saved = errno;
  close(fd);
  if (n < 0) {
    errno = saved;
    set_syserror("cannot read the pid file %s", name);
    return -1;
  }
  text[n] = '\0';
  char *end;
  long value = strtol(text, &end, 10);
  while (*end == '\n' || *end == ' ' || *end == '\r' || *end == '\t') end++;
  if (end == text || *end != '\0' || value <= 0 || value > 0x3fffffff) {
    set_error("the pid file %s holds no pid: \"%s\"", name, text);
    return -1;
  }
  *pid = (pid_t)value;
  return 0;
}

void state_remove(int dirfd, const char *name) {
  if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) warnf("cannot remove %s: %s", name, strerror(errno));
}
