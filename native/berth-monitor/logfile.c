#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
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

int logfile_open(const char *path) {
  log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) set_syserror("cannot open the log file %s", path);
  return log_fd < 0 ? -1 : 0;
}

static void out_flush(void) {
  if (out_len == 0) return;
  if (write_all(log_fd, out, out_len) < 0) {
    if (!write_failing) warnf("cannot write the container log: %s", strerror(errno));
    write_failing = true;
  } else {
    write_failing = false;
  }
  out_len = 0;
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

void logfile_close(void) {
  if (log_fd < 0) return;
  for (int i = 0; i < 2; i++) {
    if (lines[i].len > 0) emit(i == 1 ? STREAM_STDERR : STREAM_STDOUT, &lines[i], false);
  }
  out_flush();
  close_fd(&log_fd);
}
