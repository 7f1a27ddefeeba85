/* berth-pause: the process that holds a sandbox's namespaces (network, IPC, UTS, PID) open while
 * containers come and go, as Kubernetes' pause container does. It does nothing but wait: it exits
 * on SIGTERM or SIGINT (so removing a sandbox is quick and clean), and as PID 1 of a shared PID
 * namespace it reaps the orphans that are reparented to it. Linked statically: the sandbox's
 * root file system holds this binary alone. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigemptyset(&stop.sa_mask);
  sigemptyset(&child.sa_mask);
  if (sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGCHLD, &child, NULL) < 0) return 1;
  for (;;) pause();
}
