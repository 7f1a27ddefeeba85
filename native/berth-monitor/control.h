/* The control socket, <state>/ctl.sock: one command per line, one answer per line.
 *   resize ROWS COLS   TIOCSWINSZ on the pty (accepted and ignored without a tty)
 *   close-stdin        close the container's stdin once queued input is written
 *                      (accepted and ignored with a tty or without --stdin)
 * Answers: "ok" or "error <message>". */
#ifndef BERTH_MONITOR_CONTROL_H
#define BERTH_MONITOR_CONTROL_H

int control_listen(const char *dir, int dirfd);
/* The pty master that resize applies to (owned from now on), once the runtime sent it. */
void control_set_pty(int pty);
void control_stop_listening(void);
/* Closes every client and the pty. */
void control_close_all(void);

#endif
