/* berth-monitor: one small process per container (and per exec session) that outlives berthd.
 * It runs the OCI runtime's create/exec, owns the container's stdio (json-file log, attach and
 * control sockets), reaps the container process as child subreaper and records its exit status.
 *
 * Startup: the first process forks and waits on a pipe for the daemon half's one-line JSON
 * report, prints it to stdout and exits, so berthd learns the pid or the runtime's error.
 *
 * State directory (one per monitor):
 *   monitor.pid      the monitor's pid, removed when it exits
 *   attach.sock      attach server (attach.h); ctl.sock: control commands (control.h)
 *   console.sock     the runtime's --console-socket, only while the runtime runs (tty)
 *   container.pid    written by the runtime (exec.pid in exec mode)
 *   runtime.log      the runtime's JSON log
 *   exit.json        {"exitCode":N,"signal":S|null,"finishedAt":"..."} (--exit-file)
 *   monitor.log      the monitor's own warnings after it daemonized */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "control.h"
#include "create.h"
#include "jsonfmt.h"
#include "logfile.h"
#include "loop.h"
#include "options.h"
#include "output.h"
#include "reaper.h"
#include "statefile.h"
#include "stdin_sink.h"
#include "util.h"

/* How long output may keep flowing after the process exited (a leftover child of an exec can
 * hold the pipe open), and how long slow attach clients get to take the rest. Docker's exec
 * waits two seconds for its streams too. */
#define DRAIN_MS 2000
/* How long held output waits for its first attach client (--hold-output). */
#define HOLD_MS 10000

static struct options opts;
static int state_dirfd = -1;
static pid_t container_pid;
static bool container_exited;
static int container_status;
static struct watch child_watch;

static void write_report(int fd, const char *line) {
  (void)write_all(fd, line, strlen(line));
  close(fd);
}

static void report_error(int fd, const char *msg) {
  static char quoted[8192], line[8300];
  json_quote(quoted, sizeof quoted, msg);
  snprintf(line, sizeof line, "{\"error\":%s}\n", quoted);
  write_report(fd, line);
}

/* The first process: relays the daemon's report line to stdout. Exit 0 only on success. */
static int relay_report(int fd) {
  char line[8400];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof line && (n = read_retry(fd, line + len, sizeof line - len)) > 0) len += (size_t)n;
  if (len == 0) {
    static const char lost[] = "{\"error\":\"berth-monitor exited before reporting\"}\n";
    (void)write_all(STDOUT_FILENO, lost, sizeof lost - 1);
    return 1;
  }
  (void)write_all(STDOUT_FILENO, line, len);
  return strncmp(line, "{\"pid\":", 7) == 0 ? 0 : 1;
}

/* New session, child subreaper, stdio on /dev/null, "/" as cwd. */
static int daemonize(void) {
  if (setsid() < 0) {
    set_syserror("setsid failed");
    return -1;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    set_syserror("cannot become a child subreaper");
    return -1;
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    set_syserror("cannot open /dev/null");
    return -1;
  }
  for (int i = 0; i < 3; i++) {
    if (dup2(null_fd, i) < 0) {
      set_syserror("cannot redirect stdio to /dev/null");
      return -1;
    }
  }
  if (null_fd > 2) close(null_fd);
  if (chdir("/") < 0) {
    set_syserror("cannot change to /");
    return -1;
  }
  /* The monitor ends when the container ends: berthd stops containers through the runtime. */
  const int ignored[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP};
  for (size_t i = 0; i < ARRAY_LEN(ignored); i++) signal(ignored[i], SIG_IGN);
  return 0;
}

static void check_container_exit(void) {
  if (!container_exited && reaper_take(container_pid, &container_status)) container_exited = true;
}

static void on_sigchld(struct watch *w, uint32_t events) {
  (void)w;
  (void)events;
  reaper_collect();
  check_container_exit();
}

static int write_pid_file(void) {
  char text[32];
  int n = snprintf(text, sizeof text, "%d\n", (int)getpid());
  return state_write_atomic(state_dirfd, "monitor.pid", text, (size_t)n);
}

static void remove_sockets(void) {
  attach_stop_listening();
  control_stop_listening();
  state_remove(state_dirfd, "console.sock");
}

/* Sets up everything berthd relies on, then reports. -1 with the error set. */
static int start(void) {
  if (daemonize() < 0) return -1;
  state_dirfd = open(opts.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (state_dirfd < 0) {
    set_syserror("cannot open the state directory %s", opts.state_dir);
    return -1;
  }
  warn_init(state_dirfd);
  if (write_pid_file() < 0 || reaper_init() < 0 || loop_init() < 0) return -1;
  if (watch_add(&child_watch, reaper_fd(), EPOLLIN, on_sigchld) < 0) return -1;
  if (opts.log_path && logfile_open(opts.log_path, opts.log_max_size, opts.log_max_files, opts.log_compress, opts.log_cri) < 0) return -1;
  if (attach_listen(opts.state_dir, state_dirfd, opts.tty, opts.stdin_open, opts.stdin_once) < 0) return -1;
  if (opts.hold_output) attach_hold_output();
  if (control_listen(opts.state_dir, state_dirfd) < 0) return -1;
  if (create_container(&opts, state_dirfd, &container_pid) < 0) return -1;
  reaper_collect();
  check_container_exit();
  return 0;
}

static int write_exit_file(void) {
  char text[160], ts[TIMESTAMP_CAP], sig[16] = "null";
  int code = 0;
  format_now(ts);
  if (WIFSIGNALED(container_status)) {
    code = 128 + WTERMSIG(container_status);
    snprintf(sig, sizeof sig, "%d", WTERMSIG(container_status));
  } else {
    code = WEXITSTATUS(container_status);
  }
  int n = snprintf(text, sizeof text, "{\"exitCode\":%d,\"signal\":%s,\"finishedAt\":\"%s\"}\n", code, sig, ts);
  if (state_write_atomic(state_dirfd, opts.exit_file, text, (size_t)n) < 0) {
    warnf("%s", last_error());
    return -1;
  }
  return 0;
}

/* Runs the loop for at most ms or until done() holds. */
static void run_until(bool (*done)(void), long long ms) {
  long long deadline = monotonic_ms() + ms;
  while (!done()) {
    long long left = deadline - monotonic_ms();
    if (left <= 0) break;
    loop_once((int)left);
  }
}

static bool clients_flushed(void) {
  return !attach_output_pending();
}

/* Container gone: drain its output, record the exit, let clients take the rest, clean up. */
static int finish(void) {
  run_until(output_done, DRAIN_MS);
  output_drain();
  output_close();
  logfile_close();
  stdin_sink_shutdown();
  /* Control commands mean nothing once the process is gone; whoever saw the exit file must not
   * reach a listener that is about to close (a reset) but find no socket (a clear "not running"). */
  control_stop_listening();
  int rc = write_exit_file();
  if (opts.hold_output) run_until(attach_had_client, HOLD_MS);
  remove_sockets();
  run_until(clients_flushed, DRAIN_MS);
  attach_linger();
  run_until(attach_clients_gone, DRAIN_MS);
  attach_close_all();
  control_close_all();
  state_remove(state_dirfd, "monitor.pid");
  reaper_collect();
  return rc < 0 ? 1 : 0;
}

static int run_daemon(int report_fd) {
  if (start() < 0) {
    if (state_dirfd >= 0) {
      remove_sockets();
      state_remove(state_dirfd, "monitor.pid");
    }
    report_error(report_fd, last_error());
    return 1;
  }
  char line[64];
  snprintf(line, sizeof line, "{\"pid\":%d,\"monitorPid\":%d}\n", (int)container_pid, (int)getpid());
  write_report(report_fd, line);
  while (!container_exited) loop_once(-1);
  return finish();
}

int main(int argc, char **argv) {
  /* Whatever the caller leaked to us must not stay open for the container's lifetime. */
  if (close_range(3, ~0U, 0) < 0) {
    for (int fd = 3; fd < 1024; fd++) close(fd);
  }
  if (parse_options(argc, argv, &opts) < 0) {
    report_error(STDOUT_FILENO, last_error());
    return 1;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    set_syserror("cannot create a pipe");
    report_error(STDOUT_FILENO, last_error());
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    set_syserror("cannot fork");
    report_error(STDOUT_FILENO, last_error());
    return 1;
  }
  if (pid > 0) {
    close(report[1]);
    return relay_report(report[0]);
  }
  close(report[0]);
  return run_daemon(report[1]);
}
