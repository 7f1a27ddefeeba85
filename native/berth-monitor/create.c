#include "create.h"

#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "attach.h"
#include "control.h"
#include "output.h"
#include "runtime.h"
#include "statefile.h"
#include "stdin_sink.h"
#include "unixsock.h"
#include "util.h"

/* The fds of the container's stdio: the monitor's ends, and the ends the runtime inherits. */
struct stdio_fds {
  int in_w, out_r, err_r;            /* monitor side; err_r doubles as the capture pipe */
  int child_in, child_out, child_err; /* runtime side, closed once it ran */
};

static int open_devnull(int flags) {
  int fd = open("/dev/null", flags | O_CLOEXEC);
  if (fd < 0) set_syserror("cannot open /dev/null");
  return fd;
}

static int make_pipe(int *read_end, int *write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    set_syserror("cannot create a pipe");
    return -1;
  }
  *read_end = p[0];
  *write_end = p[1];
  return 0;
}

/* No tty: pipes for stdout, stderr and (with --stdin) stdin. With a tty the container gets the
 * pty; the runtime's own stdout and stderr go to one capture pipe. */
static int make_stdio(const struct options *o, struct stdio_fds *s) {
  *s = (struct stdio_fds){-1, -1, -1, -1, -1, -1};
  if (o->tty) {
    if ((s->child_in = open_devnull(O_RDONLY)) < 0 || make_pipe(&s->err_r, &s->child_err) < 0) return -1;
    s->child_out = s->child_err;
    return set_nonblock(s->err_r);
  }
  if (o->stdin_open) {
    if (make_pipe(&s->child_in, &s->in_w) < 0) return -1;
  } else if ((s->child_in = open_devnull(O_RDONLY)) < 0) {
    return -1;
  }
  if (make_pipe(&s->out_r, &s->child_out) < 0 || make_pipe(&s->err_r, &s->child_err) < 0) return -1;
  return set_nonblock(s->err_r);
}

static void close_child_ends(struct stdio_fds *s) {
  if (s->child_out == s->child_err) s->child_out = -1;
  close_fd(&s->child_in);
  close_fd(&s->child_out);
  close_fd(&s->child_err);
}

static int dup_pty(int pty, int *out, bool wanted) {
  if (!wanted) return 0;
  *out = fcntl(pty, F_DUPFD_CLOEXEC, 3);
  if (*out < 0) set_syserror("cannot duplicate the pty master");
  return *out < 0 ? -1 : 0;
}

int create_container(const struct options *o, int dirfd, pid_t *pid) {
  struct stdio_fds s;
  char console_path[256];
  int console_fd = -1, rc = -1;
  struct runtime_result res = {0, -1};
  if (make_stdio(o, &s) < 0) goto out;
  if (o->tty) {
    console_fd = unix_listen(o->state_dir, dirfd, "console.sock", console_path, sizeof console_path);
    if (console_fd < 0) goto out;
  }
  struct runtime_request req = {
      .opts = o,
      .dirfd = dirfd,
      .stdio = {s.child_in, s.child_out, s.child_err},
      .capture_fd = s.err_r,
      .console_fd = console_fd,
      .console_path = o->tty ? console_path : NULL,
  };
  if (runtime_run(&req, &res) < 0) goto out;
  *pid = res.pid;
  close_child_ends(&s);
  if (o->tty) {
    close_fd(&s.err_r); /* only the runtime wrote there */
    /* Output, stdin and resize each get their own fd for the pty master, closed on their own. */
    if (dup_pty(res.pty, &s.in_w, o->stdin_open) < 0) goto out;
    int ctl_pty = -1;
    if (dup_pty(res.pty, &ctl_pty, true) < 0) goto out;
    control_set_pty(ctl_pty);
  }
  if (s.in_w >= 0) {
    int in_fd = s.in_w;
    s.in_w = -1;
    if (stdin_sink_init(in_fd, o->tty, attach_stdin_drained) < 0) goto out;
  }
  rc = output_start(o->tty ? res.pty : s.out_r, o->tty ? -1 : s.err_r);
  s.out_r = s.err_r = -1;
  res.pty = -1;
out:
  close_child_ends(&s);
  close_fd(&s.in_w);
  close_fd(&s.out_r);
  close_fd(&s.err_r);
  close_fd(&res.pty);
  close_fd(&console_fd);
  state_remove(dirfd, "console.sock");
  return rc;
}

