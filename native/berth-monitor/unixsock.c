#include "unixsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

int unix_listen(const char *dir, int dirfd, const char *name, char *path, size_t path_cap) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(path, path_cap, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof addr.sun_path || (size_t)n >= path_cap) {
    n = snprintf(path, path_cap, "/proc/%d/fd/%d/%s", (int)getpid(), dirfd, name);
  }
  if (n < 0 || (size_t)n >= sizeof addr.sun_path || (size_t)n >= path_cap) {
    set_error("socket path %s/%s is too long", dir, name);
    return -1;
  }
  memcpy(addr.sun_path, path, (size_t)n + 1);
  if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
    set_syserror("cannot remove the stale socket %s/%s", dir, name);
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    set_syserror("cannot create a unix socket");
    return -1;
  }
  mode_t old_mask = umask(077);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old_mask);
  if (rc < 0) {
    set_syserror("cannot bind %s/%s", dir, name);
    close(fd);
    return -1;
  }
  if (listen(fd, 64) < 0) {
    set_syserror("cannot listen on %s/%s", dir, name);
    close(fd);
    unlinkat(dirfd, name, 0);
    return -1;
  }
  return fd;
}

int unix_accept(int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}
