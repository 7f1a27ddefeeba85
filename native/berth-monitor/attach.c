#include "attach.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"
#include "stdin_sink.h"
#include "unixsock.h"
#include "util.h"

#define MAX_CLIENTS 64
#define OUTPUT_LIMIT (1024 * 1024)

struct client {
  struct watch w;
  struct buf out;
  bool used;
  bool input_ended; /* read returned 0 */
  bool sent_stdin;
  bool lingering; /* output ended (SHUT_WR sent); waiting for the client to close */
};

static struct client clients[MAX_CLIENTS];
static struct watch listen_watch;
static int listen_fd = -1, state_dirfd = -1;
static bool tty_mode, stdin_open, stdin_once;
static bool any_stdin_sent;
static bool holding, had_client;
static struct buf held;

static void client_send(struct client *c, const unsigned char *hdr, size_t hdr_len, const char *data, size_t len);

static void client_update(struct client *c) {
  uint32_t events = 0;
  if (!c->input_ended && !(stdin_open && stdin_sink_full())) events |= EPOLLIN;
  if (c->out.len > 0) events |= EPOLLOUT;
  watch_set(&c->w, events);
}

/* A full close (the peer shut both directions) sets POLLHUP; a half-close does not. */
static bool peer_closed(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLHUP);
}

static void end_of_input(struct client *c) {
  c->input_ended = true;
  if (!stdin_open || !stdin_once || tty_mode) return;
  if (c->sent_stdin || (!any_stdin_sent && !peer_closed(c->w.fd))) stdin_sink_close();
}

/* Reads what the client sent. force: read everything, past the stdin high-water mark. */
static void client_read(struct client *c, bool force) {
  static char chunk[16 * 1024];
  while (!c->input_ended) {
    if (!force && stdin_open && stdin_sink_full()) break;
    ssize_t n = read_retry(c->w.fd, chunk, sizeof chunk);
    if (n > 0) {
      if (!stdin_open) continue;
      c->sent_stdin = true;
      any_stdin_sent = true;
      stdin_sink_write(chunk, (size_t)n);
    } else if (n == 0) {
      end_of_input(c);
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK) end_of_input(c);
      break;
    }
  }
}

static void client_drop(struct client *c) {
  if (!c->used) return;
  client_read(c, true);
  watch_remove(&c->w);
  close(c->w.fd);
  buf_free(&c->out);
  c->used = false;
}

/* Writes queued output; drops the client when its socket fails. */
static void client_flush(struct client *c) {
  while (c->out.len > 0) {
    ssize_t n = write_retry(c->w.fd, buf_head(&c->out), c->out.len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      client_drop(c);
      return;
    }
    buf_consume(&c->out, (size_t)n);
  }
  client_update(c);
}

static void on_client(struct watch *w, uint32_t events) {
  struct client *c = CONTAINER_OF(w, struct client, w);
  if (events & EPOLLOUT) client_flush(c);
  if (!c->used) return;
  if (events & EPOLLIN) client_read(c, false);
  if ((events & (EPOLLHUP | EPOLLERR)) || (c->lingering && c->input_ended)) client_drop(c);
  else client_update(c);
}

static void on_listen(struct watch *w, uint32_t events) {
  (void)w;
  (void)events;
  for (;;) {
    int fd = unix_accept(listen_fd);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) warnf("cannot accept an attach client: %s", strerror(errno));
      return;
    }
    struct client *c = NULL;
    for (size_t i = 0; i < MAX_CLIENTS && !c; i++) {
      if (!clients[i].used) c = &clients[i];
    }
    if (!c) {
      warnf("refusing an attach client: %d are connected", MAX_CLIENTS);
      close(fd);
      continue;
    }
    *c = (struct client){.used = true};
    if (watch_add(&c->w, fd, 0, on_client) < 0) {
      warnf("%s", last_error());
      close(fd);
      c->used = false;
      continue;
    }
    had_client = true;
    if (holding) {
      holding = false;
      if (held.len > 0) client_send(c, NULL, 0, buf_head(&held), held.len);
      buf_free(&held);
      if (!c->used) continue;
    }
    client_update(c);
  }
}

void attach_hold_output(void) {
  holding = true;
}

bool attach_had_client(void) {
  return had_client;
}

int attach_listen(const char *dir, int dirfd, bool tty, bool with_stdin, bool with_stdin_once) {
  char path[256];
  tty_mode = tty;
  stdin_open = with_stdin;
  stdin_once = with_stdin_once;
  state_dirfd = dirfd;
  listen_fd = unix_listen(dir, dirfd, "attach.sock", path, sizeof path);
  if (listen_fd < 0) return -1;
  return watch_add(&listen_watch, listen_fd, EPOLLIN, on_listen);
}

/* Sends one frame (or raw chunk) to a client: straight to the socket when nothing is queued,
 * the rest queued. */
static void client_send(struct client *c, const unsigned char *hdr, size_t hdr_len, const char *data, size_t len) {
  size_t done = 0, total = hdr_len + len;
  if (c->out.len == 0) {
    struct iovec iov[2] = {{(void *)hdr, hdr_len}, {(void *)data, len}};
    struct iovec *v = hdr_len ? iov : iov + 1;
    ssize_t n;
    do n = writev(c->w.fd, v, hdr_len ? 2 : 1);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      client_drop(c);
      return;
    }
    done = n > 0 ? (size_t)n : 0;
  }
  if (done == total) return;
  int rc = 0;
  if (done < hdr_len) rc = buf_append(&c->out, hdr + done, hdr_len - done, OUTPUT_LIMIT);
  size_t data_done = done > hdr_len ? done - hdr_len : 0;
  if (rc == 0) rc = buf_append(&c->out, data + data_done, len - data_done, OUTPUT_LIMIT);
  if (rc < 0) {
    warnf("dropping an attach client: more than %d bytes of output are waiting for it", OUTPUT_LIMIT);
    client_drop(c);
    return;
  }
  client_update(c);
}

void attach_broadcast(int stream, const char *data, size_t len) {
  unsigned char hdr[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
  if (holding) {
    if ((!tty_mode && buf_append(&held, hdr, sizeof hdr, OUTPUT_LIMIT) < 0) || buf_append(&held, data, len, OUTPUT_LIMIT) < 0) {
      warnf("output held for the first attach client passed %d bytes; the rest is dropped", OUTPUT_LIMIT);
      holding = false;
      buf_free(&held);
    }
    return;
  }
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].used) client_send(&clients[i], hdr, tty_mode ? 0 : sizeof hdr, data, len);
  }
}

void attach_stdin_drained(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].used) client_update(&clients[i]);
  }
}

bool attach_output_pending(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].used && clients[i].out.len > 0) return true;
  }
  return false;
}

void attach_stop_listening(void) {
  if (listen_fd < 0) return;
  watch_remove(&listen_watch);
  close_fd(&listen_fd);
  if (unlinkat(state_dirfd, "attach.sock", 0) < 0 && errno != ENOENT) {
    warnf("cannot remove attach.sock: %s", strerror(errno));
  }
}

void attach_linger(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (!c->used || c->lingering) continue;
    c->lingering = true;
    if (shutdown(c->w.fd, SHUT_WR) < 0 || c->input_ended) {
      client_drop(c);
      continue;
    }
    client_update(c);
  }
}

bool attach_clients_gone(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].used) return false;
  }
  return true;
}

void attach_close_all(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (!c->used) continue;
    watch_remove(&c->w);
    close(c->w.fd);
    buf_free(&c->out);
    c->used = false;
  }
}
