/* The container's json-file log, byte-for-byte in docker's format:
 *   {"log":"hi\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
 * Output is split at '\n' (kept in "log"); a line reaching 16 KiB without one is written as a
 * partial entry, as is whatever is left at exit. Partial pieces of one line share the first
 * piece's time, as moby's copier does. */
#ifndef BERTH_MONITOR_LOGFILE_H
#define BERTH_MONITOR_LOGFILE_H

#include <stddef.h>

enum { STREAM_STDOUT = 1, STREAM_STDERR = 2 };

/* Opens (creates, appends to) the log; -1 with the error set. */
int logfile_open(const char *path);
void logfile_write(int stream, const char *data, size_t len);
/* Writes the partial lines left and closes the file. */
void logfile_close(void);

#endif
