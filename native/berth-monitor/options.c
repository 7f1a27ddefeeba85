#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

enum {
  OPT_ID = 256,
  OPT_BUNDLE,
  OPT_RUNTIME,
  OPT_RUNTIME_ROOT,
  OPT_STATE_DIR,
  OPT_LOG_PATH,
  OPT_TTY,
  OPT_STDIN,
  OPT_STDIN_ONCE,
  OPT_HOLD_OUTPUT,
  OPT_RUN,
  OPT_EXEC_PROCESS,
  OPT_EXIT_FILE,
  OPT_CONSOLE_SIZE,
  OPT_HIDE_MOUNT,
  OPT_LOG_MAX_SIZE,
  OPT_LOG_MAX_FILE,
  OPT_LOG_COMPRESS,
  OPT_LOG_FORMAT,
};

static const struct option long_options[] = {
    {"id", required_argument, NULL, OPT_ID},
    {"bundle", required_argument, NULL, OPT_BUNDLE},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"log-path", required_argument, NULL, OPT_LOG_PATH},
    {"tty", no_argument, NULL, OPT_TTY},
    {"stdin", no_argument, NULL, OPT_STDIN},
    {"stdin-once", no_argument, NULL, OPT_STDIN_ONCE},
    {"hold-output", no_argument, NULL, OPT_HOLD_OUTPUT},
    {"run", no_argument, NULL, OPT_RUN},
    {"exec-process", required_argument, NULL, OPT_EXEC_PROCESS},
    {"exit-file", required_argument, NULL, OPT_EXIT_FILE},
    {"console-size", required_argument, NULL, OPT_CONSOLE_SIZE},
    {"hide-mount", required_argument, NULL, OPT_HIDE_MOUNT},
    {"log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
    {"log-max-file", required_argument, NULL, OPT_LOG_MAX_FILE},
    {"log-compress", no_argument, NULL, OPT_LOG_COMPRESS},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {NULL, 0, NULL, 0},
};

/* The monitor runs from "/", so every path it keeps must be absolute. */
static const char *absolute(const char *path) {
  static char cwd[PATH_MAX];
  if (path[0] == '/') return path;
  if (!cwd[0] && !getcwd(cwd, sizeof cwd)) return NULL;
  size_t len = strlen(cwd) + 1 + strlen(path) + 1;
  char *out = malloc(len);
  if (out) snprintf(out, len, "%s/%s", cwd, path);
  return out;
}

static int parse_size(const char *s, struct options *o) {
  char *end;
  unsigned long rows = strtoul(s, &end, 10);
  if (end == s || *end != 'x') return -1;
  const char *c = end + 1;
  unsigned long cols = strtoul(c, &end, 10);
  if (end == c || *end != '\0' || rows == 0 || cols == 0 || rows > 65535 || cols > 65535) return -1;
  o->rows = (unsigned short)rows;
  o->cols = (unsigned short)cols;
  o->has_console_size = true;
  return 0;
}

static int set_path(const char **dst, const char *value, const char *name) {
  *dst = absolute(value);
  if (!*dst) {
    set_syserror("cannot make --%s %s absolute", name, value);
    return -1;
  }
  return 0;
}

static int apply(int opt, const char *arg, struct options *o) {
  switch (opt) {
    case OPT_ID: o->id = arg; return 0;
    case OPT_BUNDLE: return set_path(&o->bundle, arg, "bundle");
    case OPT_RUNTIME:
      if (strchr(arg, '/')) return set_path(&o->runtime, arg, "runtime");
      o->runtime = arg;
      return 0;
    case OPT_RUNTIME_ROOT: return set_path(&o->runtime_root, arg, "runtime-root");
    case OPT_STATE_DIR: return set_path(&o->state_dir, arg, "state-dir");
    case OPT_LOG_PATH: return set_path(&o->log_path, arg, "log-path");
    case OPT_TTY: o->tty = true; return 0;
    case OPT_STDIN: o->stdin_open = true; return 0;
    case OPT_STDIN_ONCE: o->stdin_once = true; return 0;
    case OPT_HOLD_OUTPUT: o->hold_output = true; return 0;
    case OPT_RUN: o->run_now = true; return 0;
    case OPT_EXEC_PROCESS: return set_path(&o->exec_process, arg, "exec-process");
    case OPT_EXIT_FILE: o->exit_file = arg; return 0;
    case OPT_HIDE_MOUNT:
      if (arg[0] == '/') {
        o->hide_mount = arg;
        return 0;
      }
      set_error("invalid --hide-mount \"%s\": want an absolute path", arg);
      return -1;
    case OPT_LOG_MAX_SIZE: {
      char *end;
      long long v = strtoll(arg, &end, 10);
      if (end == arg || *end != '\0' || v < 0) {
        set_error("invalid --log-max-size \"%s\": want a number of bytes", arg);
        return -1;
      }
      o->log_max_size = v;
      return 0;
    }
    case OPT_LOG_MAX_FILE: {
      char *end;
      long v = strtol(arg, &end, 10);
      if (end == arg || *end != '\0' || v < 1 || v > 1000) {
        set_error("invalid --log-max-file \"%s\": want 1-1000", arg);
        return -1;
      }
      o->log_max_files = (int)v;
      return 0;
    }
    case OPT_LOG_COMPRESS: o->log_compress = true; return 0;
    case OPT_LOG_FORMAT:
      if (strcmp(arg, "json-file") == 0 || strcmp(arg, "cri") == 0) {
        o->log_cri = strcmp(arg, "cri") == 0;
        return 0;
      }
      set_error("invalid --log-format \"%s\": want json-file or cri", arg);
      return -1;
    case OPT_CONSOLE_SIZE:
      if (parse_size(arg, o) == 0) return 0;
      set_error("invalid --console-size \"%s\": want ROWSxCOLS, each 1-65535", arg);
      return -1;
    default: return -1;
  }
}

static int validate(const struct options *o) {
  if (!o->id || !o->id[0]) set_error("--id is required");
  else if (!o->runtime || !o->runtime[0]) set_error("--runtime is required");
  else if (!o->state_dir) set_error("--state-dir is required");
  else if (!o->exec_process && !o->bundle) set_error("--bundle is required unless --exec-process is given");
  else if (o->exec_process && o->run_now) set_error("--run is for containers, not --exec-process");
  else if (!o->exit_file[0] || strchr(o->exit_file, '/') || o->exit_file[0] == '.')
    set_error("invalid --exit-file \"%s\": want a plain file name", o->exit_file);
  else return 0;
  return -1;
}

int parse_options(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  o->exit_file = "exit.json";
  o->log_max_files = 1;
  opterr = 0;
  for (;;) {
    int opt = getopt_long(argc, argv, "", long_options, NULL);
    if (opt == -1) break;
    if (opt == '?') {
      set_error("unknown option or missing value: %s", argv[optind - 1]);
      return -1;
    }
    if (apply(opt, optarg, o) < 0) return -1;
  }
  if (optind < argc) {
    set_error("unexpected argument: %s", argv[optind]);
    return -1;
  }
  return validate(o);
}
