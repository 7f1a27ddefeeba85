#include "reaper.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* The container's pid may exit (and be reaped) before its pid file is read, e.g. a short exec:
 * keep the last statuses. Only the runtime's own processes exit that early, so 64 is plenty. */
struct exit_record {
  pid_t pid;
  int status;
};

static struct exit_record exits[64];
static unsigned next_record;
static int signal_fd = -1;

int reaper_init(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
    set_syserror("cannot block SIGCHLD");
    return -1;
  }
  signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) set_syserror("cannot create a signalfd");
  return signal_fd;
}

int reaper_fd(void) {
  return signal_fd;
}

void reaper_collect(void) {
  struct signalfd_siginfo info;
  while (read_retry(signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
  }
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      exits[next_record % ARRAY_LEN(exits)] = (struct exit_record){pid, status};
      next_record++;
    } else if (pid < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
}

bool reaper_take(pid_t pid, int *status) {
  for (size_t i = 0; i < ARRAY_LEN(exits); i++) {
    if (exits[i].pid == pid && pid > 0) {
      *status = exits[i].status;
      exits[i].pid = 0;
      return true;
    }
  }
  return false;
}
