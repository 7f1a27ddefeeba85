/* The attach server, <state>/attach.sock. Each connection gets the container's output from the
 * moment it connects: raw bytes with a tty, else docker's multiplexed frames (byte 0: 1 stdout
 * or 2 stderr, bytes 4-7: big-endian payload length). What a client sends goes to the
 * container's stdin when it is open (--stdin), else is discarded.
 *
 * A client that cannot keep up gets 1 MiB of output queued, then is dropped: the container is
 * never blocked. With --stdin-once (and no tty), the container's stdin is closed when a client
 * ends its input (half-close, or close) after sending stdin bytes, or half-closes while no
 * client has sent any (empty input). An output-only client that disconnects leaves it open. */
#ifndef BERTH_MONITOR_ATTACH_H
#define BERTH_MONITOR_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

/* Listens on dir/attach.sock; clients are accepted once the event loop runs. */
int attach_listen(const char *dir, int dirfd, bool tty, bool stdin_open, bool stdin_once);
void attach_broadcast(int stream, const char *data, size_t len);
/* Re-evaluates which clients to read, after the stdin queue drained. */
void attach_stdin_drained(void);
bool attach_output_pending(void);
/* With hold: output is kept until the first client connects, and replayed to it. */
void attach_hold_output(void);
bool attach_had_client(void);
/* Stops accepting and removes the socket file. */
void attach_stop_listening(void);
/* Ends every client's output (half-close) and keeps reading, and discarding, what they still send
 * until they close. Closing a socket with unread input resets it, and a reset can reach the
 * peer before the output it has not read yet, which is then lost. */
void attach_linger(void);
bool attach_clients_gone(void);
void attach_close_all(void);

#endif
