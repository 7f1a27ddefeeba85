#include "stdin_sink.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"
#include "util.h"

#define HIGH_WATER (64 * 1024)
/* Forced reads of closing clients may pass the mark by a socket buffer each; never more. */
#define HARD_LIMIT (4 * 1024 * 1024)

static struct watch sink_watch;
static int sink_fd = -1;
static bool sink_is_pty;
static bool close_when_flushed;
static struct buf queue;
static void (*drained)(void);

static void update_watch(void) {
  watch_set(&sink_watch, queue.len > 0 ? EPOLLOUT : 0);
}

void stdin_sink_shutdown(void) {
  bool was_full = stdin_sink_full();
  watch_remove(&sink_watch);
  close_fd(&sink_fd);
  buf_free(&queue);
  if (was_full && drained) drained();
}

/* Writes what the fd takes now. Returns false when the sink was shut down. */
static bool flush(void) {
  bool was_full = stdin_sink_full();
  while (queue.len > 0) {
    ssize_t n = write_retry(sink_fd, buf_head(&queue), queue.len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      /* EPIPE: the container closed its stdin; EIO: the pty's other side is gone. */
      if (errno != EPIPE && errno != EIO) warnf("cannot write to the container's stdin: %s", strerror(errno));
      stdin_sink_shutdown();
      return false;
    }
    buf_consume(&queue, (size_t)n);
  }
  if (queue.len == 0 && close_when_flushed) {
    stdin_sink_shutdown();
    return false;
  }
  update_watch();
  if (was_full && !stdin_sink_full() && drained) drained();
  return true;
}

static void on_event(struct watch *w, uint32_t events) {
  (void)w;
  if (queue.len > 0) {
    flush();
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    stdin_sink_shutdown();
  }
}

int stdin_sink_init(int fd, bool is_pty, void (*on_drain)(void)) {
  sink_fd = fd;
  sink_is_pty = is_pty;
  drained = on_drain;
  if (set_nonblock(fd) < 0) {
    set_syserror("cannot make the container's stdin nonblocking");
    return -1;
  }
  return watch_add(&sink_watch, fd, 0, on_event);
}

bool stdin_sink_full(void) {
  return sink_fd >= 0 && !close_when_flushed && queue.len >= HIGH_WATER;
}

void stdin_sink_write(const char *data, size_t len) {
  if (sink_fd < 0 || close_when_flushed) return;
  if (buf_append(&queue, data, len, HARD_LIMIT) < 0) {
    warnf("dropping %zu bytes of stdin: the container is not reading it", len);
    return;
  }
  flush();
}

void stdin_sink_close(void) {
  if (sink_fd < 0 || sink_is_pty) return;
  close_when_flushed = true;
  flush();
}
