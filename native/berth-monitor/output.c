#include "output.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "attach.h"
#include "logfile.h"
#include "loop.h"
#include "util.h"

struct source {
  struct watch w;
  int stream;
  bool open;
};

static struct source sources[2];

static void source_close(struct source *s) {
  if (!s->open) return;
  watch_remove(&s->w);
  close(s->w.fd);
  s->open = false;
}

/* One read. Returns false when nothing more is available now. */
static bool read_once(struct source *s) {
  static char chunk[16 * 1024];
  ssize_t n = read_retry(s->w.fd, chunk, sizeof chunk);
  if (n > 0) {
    logfile_write(s->stream, chunk, (size_t)n);
    attach_broadcast(s->stream, chunk, (size_t)n);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  if (n < 0 && errno != EIO) warnf("cannot read the container's output: %s", strerror(errno));
  source_close(s);
  return false;
}

static void on_readable(struct watch *w, uint32_t events) {
  (void)events;
  struct source *s = CONTAINER_OF(w, struct source, w);
  /* A few reads per wakeup keep one busy stream from starving the rest of the loop. */
  for (int i = 0; i < 4 && s->open && read_once(s); i++) {
  }
}

static int source_start(struct source *s, int fd, int stream) {
  s->stream = stream;
  if (set_nonblock(fd) < 0) {
    set_syserror("cannot make the container's output nonblocking");
    close(fd);
    return -1;
  }
  if (watch_add(&s->w, fd, EPOLLIN, on_readable) < 0) {
    close(fd);
    return -1;
  }
  s->open = true;
  return 0;
}

int output_start(int out_fd, int err_fd) {
  if (source_start(&sources[0], out_fd, STREAM_STDOUT) < 0) return -1;
  if (err_fd >= 0 && source_start(&sources[1], err_fd, STREAM_STDERR) < 0) return -1;
  return 0;
}

bool output_done(void) {
  return !sources[0].open && !sources[1].open;
}

void output_drain(void) {
  /* Bounded: a leftover process may still be writing after the container's process exited. */
  for (size_t i = 0; i < ARRAY_LEN(sources); i++) {
    for (int reads = 0; reads < 256 && sources[i].open && read_once(&sources[i]); reads++) {
    }
  }
}

void output_close(void) {
  for (size_t i = 0; i < ARRAY_LEN(sources); i++) source_close(&sources[i]);
}
