/* The epoll event loop. Everything is level-triggered and nonblocking; each fd has one watch. */
#ifndef BERTH_MONITOR_LOOP_H
#define BERTH_MONITOR_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);

struct watch {
  int fd;
  uint32_t events;
  watch_fn fn;
  bool active;
  unsigned long added_in; /* the batch it was added in: events of that batch predate it */
};

int loop_init(void);
int watch_add(struct watch *w, int fd, uint32_t events, watch_fn fn);
/* Changes the events of an active watch (EPOLLHUP and EPOLLERR are always reported). */
void watch_set(struct watch *w, uint32_t events);
/* Stops watching; the fd stays open. Pending events of this batch are skipped. */
void watch_remove(struct watch *w);
/* Waits up to timeout_ms (-1: forever) and runs the callbacks of the ready watches. */
void loop_once(int timeout_ms);

#endif
