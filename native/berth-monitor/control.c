#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "console.h"
#include "logfile.h"
#include "loop.h"
#include "stdin_sink.h"
#include "unixsock.h"
#include "util.h"

#define MAX_CLIENTS 8

struct ctl_client {
  struct watch w;
  bool used;
  size_t len;
  char line[256];
};

static struct ctl_client clients[MAX_CLIENTS];
static struct watch listen_watch;
static int listen_fd = -1, state_dirfd = -1, pty_fd = -1;

static void client_close(struct ctl_client *c) {
  watch_remove(&c->w);
  close(c->w.fd);
  c->used = false;
}

static bool parse_dimension(const char *s, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end != '\0' || v > 65535 || s[0] == '-') return false;
  *out = (unsigned)v;
  return true;
}

/* Runs one command; writes the answer (without newline) into reply. */
static void run_command(char *line, char *reply, size_t cap) {
  char *save = NULL;
  const char *cmd = strtok_r(line, " \t", &save);
  if (cmd && strcmp(cmd, "resize") == 0) {
    const char *rows = strtok_r(NULL, " \t", &save), *cols = strtok_r(NULL, " \t", &save);
    unsigned r, c;
    if (!rows || !cols || strtok_r(NULL, " \t", &save) || !parse_dimension(rows, &r) || !parse_dimension(cols, &c)) {
      snprintf(reply, cap, "error usage: resize ROWS COLS");
    } else if (pty_fd >= 0 && console_resize(pty_fd, r, c) < 0) {
      snprintf(reply, cap, "error cannot resize the terminal: %s", strerror(errno));
    } else {
      snprintf(reply, cap, "ok");
    }
  } else if (cmd && strcmp(cmd, "reopen-log") == 0 && !strtok_r(NULL, " \t", &save)) {
    if (logfile_reopen() < 0) snprintf(reply, cap, "error cannot reopen the log: %s", strerror(errno));
    else snprintf(reply, cap, "ok");
  } else if (cmd && strcmp(cmd, "close-stdin") == 0 && !strtok_r(NULL, " \t", &save)) {
    stdin_sink_close();
    snprintf(reply, cap, "ok");
  } else {
    snprintf(reply, cap, "error unknown command: %.64s", cmd ? cmd : "");
  }
}

/* Answers every complete line buffered; false when the client was closed. */
static bool run_lines(struct ctl_client *c) {
  char *nl;
  while ((nl = memchr(c->line, '\n', c->len))) {
    char reply[160];
    size_t used = (size_t)(nl - c->line) + 1;
    *nl = '\0';
    if (nl > c->line && nl[-1] == '\r') nl[-1] = '\0';
    run_command(c->line, reply, sizeof reply - 1);
    size_t n = strlen(reply);
    reply[n++] = '\n';
    /* Answers are tiny; a client that does not read them is not worth queueing for. */
    if (write_retry(c->w.fd, reply, n) != (ssize_t)n) {
      client_close(c);
      return false;
    }
    memmove(c->line, c->line + used, c->len - used);
    c->len -= used;
  }
  return true;
}

static void on_client(struct watch *w, uint32_t events) {
  struct ctl_client *c = CONTAINER_OF(w, struct ctl_client, w);
  (void)events;
  for (;;) {
    if (c->len == sizeof c->line) {
      static const char too_long[] = "error line too long\n";
      (void)write_retry(c->w.fd, too_long, sizeof too_long - 1);
      client_close(c);
      return;
    }
    ssize_t n = read_retry(c->w.fd, c->line + c->len, sizeof c->line - c->len);
    if (n > 0) {
      c->len += (size_t)n;
      if (!run_lines(c)) return;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    client_close(c); /* end of input or a socket error */
    return;
  }
}

static void on_listen(struct watch *w, uint32_t events) {
  (void)w;
  (void)events;
  for (;;) {
    int fd = unix_accept(listen_fd);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) warnf("cannot accept a control client: %s", strerror(errno));
      return;
    }
    struct ctl_client *c = NULL;
    for (size_t i = 0; i < MAX_CLIENTS && !c; i++) {
      if (!clients[i].used) c = &clients[i];
    }
    if (!c) {
      static const char busy[] = "error too many control clients\n";
      (void)write_retry(fd, busy, sizeof busy - 1);
      close(fd);
      continue;
    }
    *c = (struct ctl_client){.used = true};
    if (watch_add(&c->w, fd, EPOLLIN, on_client) < 0) {
      warnf("%s", last_error());
      close(fd);
      c->used = false;
    }
  }
}

int control_listen(const char *dir, int dirfd) {
  char path[256];
  state_dirfd = dirfd;
  listen_fd = unix_listen(dir, dirfd, "ctl.sock", path, sizeof path);
  if (listen_fd < 0) return -1;
  return watch_add(&listen_watch, listen_fd, EPOLLIN, on_listen);
}

void control_set_pty(int pty) {
  close_fd(&pty_fd);
  pty_fd = pty;
}

void control_stop_listening(void) {
  if (listen_fd < 0) return;
  watch_remove(&listen_watch);
  close_fd(&listen_fd);
  if (unlinkat(state_dirfd, "ctl.sock", 0) < 0 && errno != ENOENT) {
    warnf("cannot remove ctl.sock: %s", strerror(errno));
  }
}

void control_close_all(void) {
  for (size_t i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].used) client_close(&clients[i]);
  }
  close_fd(&pty_fd);
}
