/* The container's json-file log, byte-for-byte in docker's format:
 *   {"log":"hi\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
 * Output is split at '\n' (kept in "log"); a line reaching 16 KiB without one is written as a
 * partial entry, as is whatever is left at exit. Partial pieces of one line share the first
 * piece's time, as moby's copier does.
 *
 * Rotation (docker's max-size/max-file): before an entry that would take the file past max_size,
 * <log>.N-1 is dropped, <log>.K becomes <log>.K+1, the live file becomes <log>.1 and a new one
 * is opened; entries never straddle two files. With compress, a child runs gzip on <log>.1
 * (-> <log>.1.gz) while the container keeps writing; the next rotation first waits for it.
 *
 * With cri, entries are in the format Kubernetes' kubelet reads (CRI's log format):
 *   2024-01-02T03:04:05.123456789Z stdout F hi
 * F ends a line (its '\n' is not written), P is a piece of a longer one. The kubelet rotates
 * that log itself and asks for a reopen (logfile_reopen). */
#ifndef BERTH_MONITOR_LOGFILE_H
#define BERTH_MONITOR_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>

enum { STREAM_STDOUT = 1, STREAM_STDERR = 2 };

/* Opens (creates, appends to) the log; -1 with the error set. */
int logfile_open(const char *path, long long max_size, int max_files, bool compress, bool cri);
/* Opens the log path anew (it was renamed away); 0, or -1 with errno. */
int logfile_reopen(void);
void logfile_write(int stream, const char *data, size_t len);
/* Writes the partial lines left and closes the file. */
void logfile_close(void);

#endif
