/* The command line: berth-monitor --id ID --bundle DIR --runtime PATH --state-dir DIR ... */
#ifndef BERTH_MONITOR_OPTIONS_H
#define BERTH_MONITOR_OPTIONS_H

#include <stdbool.h>

struct options {
  const char *id;
  const char *bundle;       /* create mode only */
  const char *runtime;      /* a path, or a name looked up in PATH */
  const char *runtime_root; /* NULL: the runtime's default --root */
  const char *state_dir;    /* exists; holds the monitor's sockets, pid and exit files */
  const char *log_path;     /* NULL: no json-file log */
  long long log_max_size;   /* rotate at this many bytes; 0: never */
  int log_max_files;        /* files kept, the live one included */
  bool log_compress;        /* gzip rotated files */
  bool log_cri;             /* Kubernetes' CRI format instead of docker's json-file */
  const char *exec_process; /* NULL: create mode; else exec mode with this process.json */
  const char *exit_file;    /* a file name inside state_dir */
  /* Create mode: run the runtime in a private mount namespace without this mount. crun refuses a
   * hybrid cgroup host whose cgroup2 mount holds a controller; without that mount it sees a plain
   * v1 host, and the container it creates is the same. */
  const char *hide_mount;
  bool tty;
  bool stdin_open;
  bool stdin_once;
  /* Keep output (1 MiB at most) for the first attach client, and wait for it before exiting:
   * an exec can finish before berthd has connected to it. */
  bool hold_output;
  bool run_now; /* create mode: `run --detach`, the process starts at once (no separate start) */
  bool has_console_size;
  unsigned short rows;
  unsigned short cols;
};

/* Fills o from argv, making paths absolute. -1 with the error set on a bad command line. */
int parse_options(int argc, char **argv, struct options *o);

#endif
