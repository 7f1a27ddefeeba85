#include "buf.h"

#include <stdlib.h>
#include <string.h>

int buf_append(struct buf *b, const void *p, size_t n, size_t limit) {
  if (n == 0) return 0;
  if (b->len + n > limit) return -1;
  if (b->off + b->len + n > b->cap) {
    if (b->off > 0) {
      memmove(b->data, b->data + b->off, b->len);
      b->off = 0;
    }
    if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap * 2 : 4096;
      while (cap < b->len + n) cap *= 2;
      if (cap > limit) cap = limit;
      char *data = realloc(b->data, cap);
      if (!data) return -1;
      b->data = data;
      b->cap = cap;
    }
  }
  memcpy(b->data + b->off + b->len, p, n);
  b->len += n;
  return 0;
}

void buf_consume(struct buf *b, size_t n) {
  if (n >= b->len) {
    buf_free(b);
    return;
  }
  b->off += n;
  b->len -= n;
}

void buf_free(struct buf *b) {
  free(b->data);
  b->data = NULL;
  b->off = b->len = b->cap = 0;
}
