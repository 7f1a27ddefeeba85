/* The runtime's --console-socket: it connects and sends the pty master with SCM_RIGHTS. */
#ifndef BERTH_MONITOR_CONSOLE_H
#define BERTH_MONITOR_CONSOLE_H

/* Reads one message from an accepted console connection. Returns the received fd
 * (close-on-exec), -2 when nothing has arrived yet, or -1 with the error set. */
int console_receive(int conn);
/* TIOCSWINSZ on the pty master; -1 with errno on failure. */
int console_resize(int pty, unsigned rows, unsigned cols);

#endif
