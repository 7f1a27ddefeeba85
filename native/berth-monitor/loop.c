#include "loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util.h"

static int epoll_fd = -1;
static unsigned long batch;

int loop_init(void) {
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    set_syserror("cannot create an epoll instance");
    return -1;
  }
  return 0;
}

int watch_add(struct watch *w, int fd, uint32_t events, watch_fn fn) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  w->fd = fd;
  w->events = events;
  w->fn = fn;
  w->added_in = batch;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    set_syserror("cannot watch fd %d", fd);
    w->active = false;
    return -1;
  }
  w->active = true;
  return 0;
}

void watch_set(struct watch *w, uint32_t events) {
  if (!w->active || w->events == events) return;
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w->fd, &ev) < 0) {
    warnf("cannot change the events of fd %d: %s", w->fd, strerror(errno));
    return;
  }
  w->events = events;
}

void watch_remove(struct watch *w) {
  if (!w->active) return;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w->fd, NULL) < 0) {
    warnf("cannot stop watching fd %d: %s", w->fd, strerror(errno));
  }
  w->active = false;
}

void loop_once(int timeout_ms) {
  struct epoll_event events[32];
  batch++;
  int n = epoll_wait(epoll_fd, events, (int)ARRAY_LEN(events), timeout_ms);
  if (n < 0) {
    if (errno != EINTR) warnf("epoll_wait failed: %s", strerror(errno));
    return;
  }
  for (int i = 0; i < n; i++) {
    struct watch *w = events[i].data.ptr;
    /* A callback may have removed this watch, or reused its slot for a new one. */
    if (!w->active || w->added_in == batch) continue;
    w->fn(w, events[i].events);
  }
}
