#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "reaper.h"
#include "runtime_log.h"
#include "statefile.h"
#include "unixsock.h"
#include "util.h"

struct paths {
  char log[PATH_MAX];
  char pid_file[PATH_MAX];
};

static const char *pid_file_name(const struct options *o) {
  return o->exec_process ? "exec.pid" : "container.pid";
}

/* RUNTIME [--root R] --log L --log-format json create --bundle B --pid-file P [--console-socket S] ID
 * (run --detach instead of create with --run)
 * RUNTIME [--root R] --log L --log-format json exec --detach --pid-file P --process F
 *         [--tty --console-socket S] ID */
static void build_argv(const struct runtime_request *req, const struct paths *p, const char *argv[24]) {
  const struct options *o = req->opts;
  int n = 0;
  argv[n++] = o->runtime;
  if (o->runtime_root) {
    argv[n++] = "--root";
    argv[n++] = o->runtime_root;
  }
  argv[n++] = "--log";
  argv[n++] = p->log;
  argv[n++] = "--log-format";
  argv[n++] = "json";
  if (o->exec_process) {
    argv[n++] = "exec";
    argv[n++] = "--detach";
    argv[n++] = "--pid-file";
    argv[n++] = p->pid_file;
    argv[n++] = "--process";
    argv[n++] = o->exec_process;
    if (o->tty) argv[n++] = "--tty";
  } else {
    argv[n++] = o->run_now ? "run" : "create";
    if (o->run_now) argv[n++] = "--detach";
    argv[n++] = "--bundle";
    argv[n++] = o->bundle;
    argv[n++] = "--pid-file";
    argv[n++] = p->pid_file;
  }
  if (req->console_path) {
    argv[n++] = "--console-socket";
    argv[n++] = req->console_path;
  }
  argv[n++] = o->id;
  argv[n] = NULL;
}

/* The runtime's own mount namespace, private so that nothing leaks back, minus `path`. An empty
 * tmpfs of this namespace alone then covers `path`: crun still makes the container's cgroup
 * directory there, and without it that directory would land in the host's /sys/fs/cgroup tmpfs,
 * under the mount point, where no `delete` sees it (one leaked directory per container). */
static int hide_mount(const char *path) {
  if (unshare(CLONE_NEWNS) < 0) return -1;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return -1;
  if (umount2(path, MNT_DETACH) < 0) {
    if (errno == EINVAL || errno == ENOENT) return 0;
    return -1;
  }
  if (mount("berth-hidden", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0755") < 0) return -1;
  return 0;
}

/* In the forked child: undo the monitor's signal setup, install stdio, exec. */
static void exec_child(const char *const argv[], const int stdio[3], const char *hide, int err_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  const int reset[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP};
  for (size_t i = 0; i < ARRAY_LEN(reset); i++) signal(reset[i], SIG_DFL);
  for (int i = 0; i < 3; i++) {
    if (dup2(stdio[i], i) < 0) goto fail;
  }
  if (hide && hide_mount(hide) < 0) goto fail;
  execvp(argv[0], (char *const *)argv);
fail:;
  int e = errno;
  (void)write_retry(err_fd, &e, sizeof e);
  _exit(127);
}

static pid_t spawn_runtime(const char *const argv[], const int stdio[3], const char *hide) {
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    set_syserror("cannot create a pipe");
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    set_syserror("cannot fork");
    close(err_pipe[0]);
    close(err_pipe[1]);
    return -1;
  }
  if (pid == 0) exec_child(argv, stdio, hide, err_pipe[1]);
  close(err_pipe[1]);
  int e;
  ssize_t n = read_retry(err_pipe[0], &e, sizeof e);
  close(err_pipe[0]);
  if (n == (ssize_t)sizeof e) {
    errno = e;
    set_syserror("cannot execute the runtime %s", argv[0]);
    return -1; /* the child is reaped with the others */
  }
  return pid;
}

/* Accepts the runtime's console connection and takes the pty from it, without blocking. */
static void service_console(const struct runtime_request *req, int *conn, struct runtime_result *out) {
  if (*conn < 0) {
    *conn = unix_accept(req->console_fd);
    if (*conn < 0) return;
  }
  int pty = console_receive(*conn);
  if (pty == -2) return;
  close_fd(conn);
  if (pty < 0) {
    warnf("%s", last_error());
    return;
  }
  out->pty = pty;
  const struct options *o = req->opts;
  if (o->has_console_size && console_resize(pty, o->rows, o->cols) < 0) {
    warnf("cannot set the console size: %s", strerror(errno));
  }
}

/* Waits for the runtime to exit, taking the pty master whenever it arrives. */
static int wait_runtime(const struct runtime_request *req, pid_t pid, struct runtime_result *out) {
  int conn = -1, status = 0;
  for (;;) {
    struct pollfd fds[2] = {{.fd = reaper_fd(), .events = POLLIN}, {.fd = -1, .events = POLLIN}};
    if (req->console_fd >= 0 && out->pty < 0) fds[1].fd = conn >= 0 ? conn : req->console_fd;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      set_syserror("poll failed while waiting for the runtime");
      close_fd(&conn);
      return -1;
    }
    if (fds[1].revents) service_console(req, &conn, out);
    if (fds[0].revents) {
      reaper_collect();
      if (reaper_take(pid, &status)) break;
    }
  }
  /* The runtime sent the pty before exiting: it may still sit in the socket. */
  if (req->console_fd >= 0 && out->pty < 0) service_console(req, &conn, out);
  close_fd(&conn);
  return status;
}

/* The runtime's failure in its own words: its JSON log, else its stderr, else the status. */
static void set_runtime_error(const struct runtime_request *req, off_t log_offset, int status) {
  static char msg[1024];
  if (runtime_log_error(req->dirfd, log_offset, msg, sizeof msg)) {
    set_error("%s", msg);
    return;
  }
  ssize_t n = req->capture_fd >= 0 ? read_retry(req->capture_fd, msg, sizeof msg - 1) : -1;
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r')) n--;
  if (n > 0) {
    msg[n] = '\0';
    set_error("%s", msg);
  } else if (WIFSIGNALED(status)) {
    set_error("%s was killed by signal %d", req->opts->runtime, WTERMSIG(status));
  } else {
    set_error("%s exited with status %d", req->opts->runtime, WEXITSTATUS(status));
  }
}

static int make_paths(const struct options *o, struct paths *p) {
  int a = snprintf(p->log, sizeof p->log, "%s/%s", o->state_dir, RUNTIME_LOG_NAME);
  int b = snprintf(p->pid_file, sizeof p->pid_file, "%s/%s", o->state_dir, pid_file_name(o));
  if (a < 0 || b < 0 || (size_t)a >= sizeof p->log || (size_t)b >= sizeof p->pid_file) {
    set_error("state directory path is too long: %s", o->state_dir);
    return -1;
  }
  return 0;
}

int runtime_run(const struct runtime_request *req, struct runtime_result *out) {
  static struct paths paths;
  const char *argv[24];
  out->pid = 0;
  out->pty = -1;
  if (make_paths(req->opts, &paths) < 0) return -1;
  state_remove(req->dirfd, pid_file_name(req->opts));
  off_t log_offset = runtime_log_offset(req->dirfd);
  build_argv(req, &paths, argv);
  /* Only create needs it: crun keeps the cgroup layout it chose in its state for later calls. */
  const char *hide = req->opts->exec_process ? NULL : req->opts->hide_mount;
  pid_t pid = spawn_runtime(argv, req->stdio, hide);
  if (pid < 0) return -1;
  int status = wait_runtime(req, pid, out);
  if (status < 0) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    set_runtime_error(req, log_offset, status);
  } else if (req->console_fd >= 0 && out->pty < 0) {
    set_error("%s did not send the pty master over the console socket", req->opts->runtime);
  } else if (state_read_pid(req->dirfd, pid_file_name(req->opts), &out->pid) == 0) {
    return 0;
  }
  close_fd(&out->pty);
  return -1;
}
