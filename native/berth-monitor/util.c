#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char error_text[1024];
static int warn_dirfd = -1;

static void vset_error(int errnum, const char *fmt, va_list ap) {
  int n = vsnprintf(error_text, sizeof error_text, fmt, ap);
  if (n < 0) n = 0;
  if (errnum != 0 && (size_t)n < sizeof error_text) {
    snprintf(error_text + n, sizeof error_text - (size_t)n, ": %s", strerror(errnum));
  }
}

void set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_error(0, fmt, ap);
  va_end(ap);
}

void set_syserror(const char *fmt, ...) {
  int errnum = errno;
  va_list ap;
  va_start(ap, fmt);
  vset_error(errnum, fmt, ap);
  va_end(ap);
}

const char *last_error(void) {
  return error_text[0] ? error_text : "unknown error";
}

void warn_init(int state_dirfd) {
  warn_dirfd = state_dirfd;
}

void warnf(const char *fmt, ...) {
  int saved = errno;
  if (warn_dirfd < 0) return;
  char line[1200];
  char ts[TIMESTAMP_CAP];
  format_now(ts);
  int n = snprintf(line, sizeof line, "%s ", ts);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  int fd = openat(warn_dirfd, "monitor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)write_all(fd, line, len);
    close(fd);
  }
  errno = saved;
}

ssize_t read_retry(int fd, void *buf, size_t len) {
  ssize_t n;
  do n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t write_retry(int fd, const void *buf, size_t len) {
  ssize_t n;
  do n = write(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write_retry(fd, p, len);
    if (n < 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int set_nonblock(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -1;
  return 0;
}

void close_fd(int *fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

long long monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void format_timestamp(const struct timespec *ts, char out[TIMESTAMP_CAP]) {
  struct tm tm;
  time_t sec = ts->tv_sec;
  gmtime_r(&sec, &tm);
  snprintf(out, TIMESTAMP_CAP, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
}

void format_now(char out[TIMESTAMP_CAP]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  format_timestamp(&ts, out);
}
