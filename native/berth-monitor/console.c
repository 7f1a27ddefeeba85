#include "console.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#define MAX_FDS 4

int console_receive(int conn) {
  char name[256];
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  } control;
  struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf,
  };
  ssize_t n;
  do n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -2;
    set_syserror("cannot receive the console from the runtime");
    return -1;
  }
  int pty = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int fds[MAX_FDS];
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (count > MAX_FDS) count = MAX_FDS;
    memcpy(fds, CMSG_DATA(c), count * sizeof(int));
    for (size_t i = 0; i < count; i++) {
      if (pty < 0) pty = fds[i];
      else close(fds[i]);
    }
  }
  if (pty < 0) {
    set_error("the runtime closed the console socket without sending the pty master");
    return -1;
  }
  return pty;
}

int console_resize(int pty, unsigned rows, unsigned cols) {
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  int rc;
  do rc = ioctl(pty, TIOCSWINSZ, &ws);
  while (rc < 0 && errno == EINTR);
  return rc;
}
