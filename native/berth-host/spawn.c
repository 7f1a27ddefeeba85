/*
 * Starting host programs without fork(2) (issue 22). Node's child_process forks berthd: the
 * kernel copies the page tables of its whole heap, write-protects every page for copy-on-write
 * (berthd then faults on each page it writes again), and the event loop waits until the child
 * has exec'd. Measured in berthd: 2-8 ms of main-thread time per spawn (27 ms once), two spawns
 * per `docker run --rm` (the monitor, the runtime's delete), more as the heap grows. posix_spawn
 * (glibc: clone with CLONE_VM|CLONE_VFORK) shares the parent's memory until the exec: no copy,
 * no write protection, a fraction of a millisecond.
 *
 * The child is reaped through a pidfd polled on Node's own loop: no thread waits for it, and
 * libuv's SIGCHLD handling (which reaps only the children it started) never sees it.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* A JS array of strings as a NULL-terminated vector; NULL (with a pending exception) on error. */
static char **string_vector(napi_env env, napi_value arr) {
  bool is_array = false;
  napi_is_array(env, arr, &is_array);
  if (!is_array) {
    napi_throw_type_error(env, NULL, "expected an array of strings");
    return NULL;
  }
  uint32_t n;
  napi_get_array_length(env, arr, &n);
  char **v = calloc((size_t)n + 1, sizeof(char *));
  if (!v) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    int bad = 0;
    v[i] = host_string_arg(env, item, 0, &bad);
    if (bad) {
      free_vector(v);
      return NULL;
    }
  }
  return v;
}

void free_vector(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/*
 * spawn(file, args, env, stdio: [fd, fd, fd], setsid): { pid, pidfd }. `file` is a path (the
 * caller resolves names on PATH). The child gets the three fds as 0, 1 and 2, every signal at its
 * default and none blocked (Node ignores SIGPIPE; a child must not inherit that), and its own
 * session when `setsid`. Throws like node:fs when the program cannot be run (ENOENT, EACCES).
 */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "spawn(file, args, env, stdio, setsid)");
    return NULL;
  }
  int bad = 0;
  char *file = host_string_arg(env, argv[0], 0, &bad);
  if (bad) return NULL;
  char **args = string_vector(env, argv[1]);
  char **envp = args ? string_vector(env, argv[2]) : NULL;
  int32_t fds[3] = {-1, -1, -1};
  for (uint32_t i = 0; envp && i < 3; i++) {
    napi_value fd;
    if (napi_get_element(env, argv[3], i, &fd) != napi_ok || napi_get_value_int32(env, fd, &fds[i]) != napi_ok || fds[i] < 0) {
      napi_throw_type_error(env, NULL, "stdio: three file descriptors");
      bad = 1;
      break;
    }
  }
  bool setsid = false;
  napi_get_value_bool(env, argv[4], &setsid);
  if (!args || !envp || bad) {
    free(file);
    free_vector(args);
    free_vector(envp);
    return NULL;
  }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  /* dup2 clears close-on-exec on the copy; an fd already in place keeps its flag, so none is. */
  for (int i = 0; i < 3; i++) {
    if (fds[i] != i) posix_spawn_file_actions_adddup2(&actions, fds[i], i);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigemptyset(&all);
  for (int s = 1; s < NSIG; s++) {
    if (s != SIGKILL && s != SIGSTOP) sigaddset(&all, s); /* glibc refuses its internal ones: fine */
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (setsid ? POSIX_SPAWN_SETSID : 0));
  pid_t pid = 0;
  int err = posix_spawn(&pid, file, &actions, &attr, args, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free_vector(args);
  free_vector(envp);
  if (err != 0) {
    host_throw_errno(env, err, "spawn", file);
    free(file);
    return NULL;
  }
  free(file);
  long pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) fcntl((int)pidfd, F_SETFD, FD_CLOEXEC);
  napi_value r, v;
  napi_create_object(env, &r);
  napi_create_int32(env, pid, &v);
  napi_set_named_property(env, r, "pid", v);
  napi_create_int32(env, pidfd >= 0 ? (int32_t)pidfd : -1, &v);
  napi_set_named_property(env, r, "pidfd", v);
  return r;
}

struct exit_watch {
  uv_poll_t poll;
  int pidfd;
  pid_t pid;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
};

static void watch_closed(uv_handle_t *h) {
  struct exit_watch *w = h->data;
  close(w->pidfd);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->context);
  free(w);
}

/* The pidfd is readable: the child exited. Reaps it and calls back with (code, signal). */
static void on_exit_readable(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  struct exit_watch *w = h->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  do rc = waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc == 0 && si.si_pid == 0) return; /* not yet: wait for the next wakeup */
  uv_poll_stop(h);
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, resource, args[2], result;
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_null(env, &args[0]);
  napi_get_null(env, &args[1]);
  if (rc == 0 && si.si_code == CLD_EXITED) napi_create_int32(env, si.si_status, &args[0]);
  else if (rc == 0) napi_create_int32(env, si.si_status, &args[1]);
  else napi_create_int32(env, -1, &args[0]); /* someone else reaped it: no status to give */
  napi_create_object(env, &resource);
  /* make_callback, not call_function: Node then runs the microtasks the callback queued. */
  napi_make_callback(env, w->context, resource, cb, 2, args, &result);
  napi_close_handle_scope(env, scope);
  uv_close((uv_handle_t *)h, watch_closed);
}

/* watchExit(pidfd, callback(code | null, signal | null)): the callback runs once, when the child exits. */
static napi_value js_watch_exit(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t pidfd;
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &t);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &pidfd) != napi_ok || pidfd < 0 || t != napi_function) {
    napi_throw_type_error(env, NULL, "watchExit(pidfd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  struct exit_watch *w = calloc(1, sizeof *w);
  if (!w) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->pidfd = pidfd;
  w->env = env;
  w->poll.data = w;
  napi_value name;
  napi_create_string_utf8(env, "berth-child-exit", NAPI_AUTO_LENGTH, &name);
  if (uv_poll_init(loop, &w->poll, pidfd) != 0) {
    free(w);
    host_throw_errno(env, EINVAL, "uv_poll_init", NULL);
    return NULL;
  }
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_async_init(env, NULL, name, &w->context);
  uv_poll_start(&w->poll, UV_READABLE, on_exit_readable);
  return NULL;
}

/* pipe(): [readFd, writeFd], both close-on-exec. */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    host_throw_errno(env, errno, "pipe2", NULL);
    return NULL;
  }
  napi_value r, v;
  napi_create_array_with_length(env, 2, &r);
  for (uint32_t i = 0; i < 2; i++) {
    napi_create_int32(env, p[i], &v);
    napi_set_element(env, r, i, v);
  }
  return r;
}

/* pidfdWorks(): whether pidfd_open(2) works here (Linux 5.3 and later, unless seccomp refuses it). */
static napi_value js_pidfd_works(napi_env env, napi_callback_info info) {
  (void)info;
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  if (fd >= 0) close((int)fd);
  napi_value r;
  napi_get_boolean(env, fd >= 0, &r);
  return r;
}

void register_spawn(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, js_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "watchExit", NAPI_AUTO_LENGTH, js_watch_exit, NULL, &fn);
  napi_set_named_property(env, exports, "watchExit", fn);
  napi_create_function(env, "pipe", NAPI_AUTO_LENGTH, js_pipe, NULL, &fn);
  napi_set_named_property(env, exports, "pipe", fn);
  napi_create_function(env, "pidfdWorks", NAPI_AUTO_LENGTH, js_pidfd_works, NULL, &fn);
  napi_set_named_property(env, exports, "pidfdWorks", fn);
}
