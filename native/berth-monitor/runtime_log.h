/* The runtime's error text, from its --log file written with --log-format json. */
#ifndef BERTH_MONITOR_RUNTIME_LOG_H
#define BERTH_MONITOR_RUNTIME_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RUNTIME_LOG_NAME "runtime.log"

/* Size of the log now, so a later call reads only what this run added. */
off_t runtime_log_offset(int dirfd);
/* The "msg" of the last error-level line written after offset; false when there is none. */
bool runtime_log_error(int dirfd, off_t offset, char *msg, size_t cap);

#endif
