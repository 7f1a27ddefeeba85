/* A byte queue with a size limit: pending output for a slow attach client, pending stdin for
 * the container. Memory is freed whenever the queue empties, so idle containers stay small. */
#ifndef BERTH_MONITOR_BUF_H
#define BERTH_MONITOR_BUF_H

#include <stddef.h>

struct buf {
  char *data; /* bytes [off, off + len) are queued */
  size_t off;
  size_t len;
  size_t cap;
};

/* Queues n bytes. Fails (-1, nothing queued) when len + n would pass limit or memory runs out. */
int buf_append(struct buf *b, const void *p, size_t n, size_t limit);
/* Drops n bytes from the front. */
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

static inline const char *buf_head(const struct buf *b) {
  return b->data + b->off;
}

#endif
