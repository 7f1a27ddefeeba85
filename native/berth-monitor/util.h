/* Small helpers shared by every part of the monitor: the error text reported to berthd,
 * warnings after daemonizing, and EINTR-safe fd I/O. */
#ifndef BERTH_MONITOR_UTIL_H
#define BERTH_MONITOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* 2024-01-02T03:04:05.123456789Z plus NUL, with room to spare. */
#define TIMESTAMP_CAP 64

/* The first failure's message, sent to berthd as {"error": ...}. */
void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with ": <strerror(errno)>" appended. */
void set_syserror(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *last_error(void);

/* After daemonizing there is no stderr: warnings are appended to <state>/monitor.log. */
void warn_init(int state_dirfd);
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

ssize_t read_retry(int fd, void *buf, size_t len);
ssize_t write_retry(int fd, const void *buf, size_t len);
/* Writes everything to a blocking fd; -1 with errno on failure. */
int write_all(int fd, const void *buf, size_t len);
int set_nonblock(int fd);
/* Closes *fd when open and marks it closed. */
void close_fd(int *fd);

long long monotonic_ms(void);
/* RFC 3339 in UTC with exactly nine fraction digits, as docker's json-file writes it. */
void format_timestamp(const struct timespec *ts, char out[TIMESTAMP_CAP]);
void format_now(char out[TIMESTAMP_CAP]);

#endif
