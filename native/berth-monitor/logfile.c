#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonfmt.h"
#include "util.h"

#define LINE_LIMIT (16 * 1024)

struct line {
  size_t len;
  bool partial; /* pieces of this line were already written */
  struct timespec partial_time;
  char data[LINE_LIMIT];
};

static struct line lines[2]; /* stdout, stderr */
static char out[8192];
static size_t out_len;
static int log_fd = -1;
static bool write_failing;
static const char *log_path;
static long long max_size; /* 0: never rotate */
static int max_files = 1;
static bool compress;
static bool cri_format;
static long long cur_size;
static pid_t gzip_pid;

int logfile_open(const char *path, long long max_bytes, int files, bool gzip_rotated, bool cri) {
  log_path = path;
  cri_format = cri;
  max_size = max_bytes;
  max_files = files < 1 ? 1 : files;
  compress = gzip_rotated;
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    set_syserror("cannot open the log file %s", path);
    return -1;
  }
  struct stat st;
  cur_size = fstat(log_fd, &st) == 0 ? (long long)st.st_size : 0;
  return 0;
}

static void out_flush(void) {
  if (out_len == 0) return;
  if (write_all(log_fd, out, out_len) < 0) {
    if (!write_failing) warnf("cannot write the container log: %s", strerror(errno));
    write_failing = true;
  } else {
    write_failing = false;
    cur_size += (long long)out_len;
  }
  out_len = 0;
}

static void rotated_name(char *buf, size_t cap, int n, bool gz) {
  snprintf(buf, cap, "%s.%d%s", log_path, n, gz ? ".gz" : "");
}

/* The previous compression must be done before its file is renamed again. */
static void wait_compression(void) {
  if (gzip_pid <= 0) return;
  int status;
  while (waitpid(gzip_pid, &status, 0) < 0 && errno == EINTR) {
  }
  gzip_pid = 0; /* ECHILD: the reaper took it already */
}

static void start_compression(const char *file) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (close_range(3, ~0U, 0) < 0) {
      for (int fd = 3; fd < 1024; fd++) close(fd);
    }
    execlp("gzip", "gzip", "-1", "-f", "-q", file, (char *)NULL);
    _exit(127);
  }
  if (pid < 0) warnf("cannot compress %s: fork: %s", file, strerror(errno));
  else gzip_pid = pid;
}

static void rename_if_present(const char *from, const char *to) {
  if (rename(from, to) < 0 && errno != ENOENT) warnf("cannot rotate %s: %s", from, strerror(errno));
}

/* docker's rotate: shift <log>.K to <log>.K+1 (dropping the last), the live file to <log>.1. */
static void rotate(void) {
  out_flush();
  wait_compression();
  char from[PATH_MAX + 16], to[PATH_MAX + 16];
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (max_files > 1) {
    for (int gz = 0; gz < 2; gz++) {
      rotated_name(to, sizeof to, max_files - 1, gz);
      if (unlink(to) < 0 && errno != ENOENT) warnf("cannot remove %s: %s", to, strerror(errno));
    }
    for (int i = max_files - 2; i >= 1; i--) {
      for (int gz = 0; gz < 2; gz++) {
        rotated_name(from, sizeof from, i, gz);
        rotated_name(to, sizeof to, i + 1, gz);
        rename_if_present(from, to);
      }
    }
    rotated_name(to, sizeof to, 1, false);
    rename_if_present(log_path, to);
  } else {
    flags |= O_TRUNC; /* max-file 1: docker truncates the one file */
  }
  int fd = open(log_path, flags, 0640);
  if (fd < 0) {
    warnf("cannot open the log file %s after rotation: %s", log_path, strerror(errno));
    return; /* keep writing to the old descriptor rather than lose output */
  }
  close(log_fd);
  log_fd = fd;
  cur_size = 0;
  if (compress && max_files > 1) start_compression(to);
}

static void out_put(void *ctx, const char *p, size_t n) {
  (void)ctx;
  while (n > 0) {
    if (out_len == sizeof out) out_flush();
    size_t k = sizeof out - out_len < n ? sizeof out - out_len : n;
    memcpy(out + out_len, p, k);
    out_len += k;
    p += k;
    n -= k;
  }
}

static void out_puts(const char *s) {
  out_put(NULL, s, strlen(s));
}

/* Appends one entry for the buffered line; complete means it ends with '\n'. */
static void emit(int stream, struct line *l, bool complete) {
  if (max_size > 0 && cur_size + (long long)out_len >= max_size) rotate();
  char ts[TIMESTAMP_CAP];
  struct timespec now;
  if (l->partial) {
    now = l->partial_time;
  } else {
    clock_gettime(CLOCK_REALTIME, &now);
  }
  format_timestamp(&now, ts);
  l->partial = !complete;
  l->partial_time = now;
  if (cri_format) {
    out_puts(ts);
    out_puts(stream == STREAM_STDERR ? " stderr " : " stdout ");
    out_puts(complete ? "F " : "P ");
    out_put(NULL, l->data, complete ? l->len - 1 : l->len);
    out_puts("\n");
    l->len = 0;
    return;
  }
  out_puts("{\"log\":\"");
  json_escape(out_put, NULL, (const unsigned char *)l->data, l->len);
  out_puts(stream == STREAM_STDERR ? "\",\"stream\":\"stderr\",\"time\":\"" : "\",\"stream\":\"stdout\",\"time\":\"");
  out_puts(ts);
  out_puts("\"}\n");
  l->len = 0;
}

void logfile_write(int stream, const char *data, size_t len) {
  if (log_fd < 0) return;
  struct line *l = &lines[stream == STREAM_STDERR ? 1 : 0];
  while (len > 0) {
    size_t room = LINE_LIMIT - l->len;
    size_t n = len < room ? len : room;
    const char *nl = memchr(data, '\n', n);
    if (nl) n = (size_t)(nl - data) + 1;
    memcpy(l->data + l->len, data, n);
    l->len += n;
    data += n;
    len -= n;
    if (nl) emit(stream, l, true);
    else if (l->len == LINE_LIMIT) emit(stream, l, false);
  }
  out_flush();
}

int logfile_reopen(void) {
  if (log_fd < 0) return 0;
  out_flush();
  int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return -1;
  close(log_fd);
  log_fd = fd;
  struct stat st;
  cur_size = fstat(log_fd, &st) == 0 ? (long long)st.st_size : 0;
  return 0;
}

void logfile_close(void) {
  if (log_fd < 0) return;
  for (int i = 0; i < 2; i++) {
    if (lines[i].len > 0) emit(i == 1 ? STREAM_STDERR : STREAM_STDOUT, &lines[i], false);
  }
  out_flush();
  close_fd(&log_fd);
  wait_compression();
}
