/*
 * Calls berthd needs and Node does not offer, as a tiny N-API addon:
 * - mount(2) and umount2(2). Spawning mount(8) and umount(8) cost each container start and exit
 *   3-6 ms (util-linux reads mountinfo and utab first); the syscalls take a fraction of a
 *   millisecond. They run on libuv's thread pool: an unmount syncs the overlay's upper
 *   filesystem, which may take long after a container wrote much.
 * - malloc_trim(3): after a burst of streaming (an image load, a build context), glibc's heap
 *   keeps megabytes that a few long-lived allocations pin between freed buffers; this returns
 *   the free pages among them to the kernel (about 0.5 ms).
 * - openat2(2), mknod(2) and (l)setxattr(2), for the root-confined filesystem layer
 *   (src/drivers/host/rooted-fs.ts): openat2's RESOLVE_IN_ROOT resolves a path inside a directory
 *   fd as if it were `/`, so no symlink an archive or a container plants can lead out of it. They
 *   are synchronous: each is one short metadata syscall on a local filesystem.
 * - ioctl(SIOCOUTQ) on a Unix socket: how many bytes written to it its peer has not read yet. A
 *   hijacked attach or exec must not send output until the client has read the 101 answer:
 *   Python's http.client reads the answer through a buffer that swallows whatever came with it,
 *   and docker-py then reads the raw socket past that buffer (docker-py#2466), losing the output.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <uv.h>

enum op { OP_MOUNT, OP_UMOUNT };

struct work {
  enum op op;
  char *source, *target, *fstype, *data;
  unsigned long flags;
  int err;
  napi_deferred deferred;
  napi_async_work async;
};

static void free_work(struct work *w) {
  free(w->source);
  free(w->target);
  free(w->fstype);
  free(w->data);
  free(w);
}

static void execute(napi_env env, void *arg) {
  (void)env;
  struct work *w = arg;
  int rc = w->op == OP_MOUNT ? mount(w->source, w->target, w->fstype, w->flags, w->data) : umount2(w->target, (int)w->flags);
  w->err = rc == 0 ? 0 : errno;
}

static void complete(napi_env env, napi_status status, void *arg) {
  struct work *w = arg;
  if (status == napi_ok && w->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, w->deferred, undefined);
  } else {
    int err = status == napi_ok ? w->err : ECANCELED;
    napi_value code, msg, error, errno_value;
    napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_create_int32(env, -err, &errno_value);
    napi_set_named_property(env, error, "errno", errno_value);
    napi_reject_deferred(env, w->deferred, error);
  }
  napi_delete_async_work(env, w->async);
  free_work(w);
}

/* A string argument, or NULL for null/undefined; NULL with a pending exception on bad input. */
static char *string_arg(napi_env env, napi_value v, int nullable, int *bad) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return NULL;
  size_t len;
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string argument");
    *bad = 1;
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, NULL, "out of memory");
    *bad = 1;
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static napi_value queue(napi_env env, struct work *w) {
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, w->op == OP_MOUNT ? "berth-mount" : "berth-umount", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, w, &w->async);
  napi_queue_async_work(env, w->async);
  return promise;
}

static int number_arg(napi_env env, napi_value v, unsigned long *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0) {
    napi_throw_type_error(env, NULL, "mount flags must be a non-negative number");
    return 0;
  }
  *out = (unsigned long)d;
  return 1;
}

/*
 * mount(source, target, fstype, flags, data) and umount(target, flags), both Promise<void>:
 * one entry point, told apart by the op the function was made with.
 */
static napi_value js_call(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  void *data;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  enum op op = (enum op)(intptr_t)data;
  if (argc < (op == OP_MOUNT ? 5u : 2u)) {
    napi_throw_type_error(env, NULL, op == OP_MOUNT ? "mount(source, target, fstype, flags, data)" : "umount(target, flags)");
    return NULL;
  }
  struct work *w = calloc(1, sizeof(*w));
  if (!w) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->op = op;
  int bad = 0;
  if (op == OP_MOUNT) {
    w->source = string_arg(env, argv[0], 1, &bad);
    if (!bad) w->target = string_arg(env, argv[1], 0, &bad);
    if (!bad) w->fstype = string_arg(env, argv[2], 1, &bad);
    if (!bad) w->data = string_arg(env, argv[4], 1, &bad);
  } else {
    w->target = string_arg(env, argv[0], 0, &bad);
  }
  if (bad || !number_arg(env, argv[op == OP_MOUNT ? 3 : 1], &w->flags)) {
    free_work(w);
    return NULL;
  }
  return queue(env, w);
}

/* trim(): whether malloc_trim(0) gave memory back. */
static napi_value js_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, malloc_trim(0) == 1, &r);
  return r;
}

/* Throws the kernel's error as Node's fs does: `code` its name, `errno` negative. */
static void throw_errno(napi_env env, int err, const char *syscall_name) {
  napi_value code, msg, error, errno_value, sc;
  char text[256];
  snprintf(text, sizeof(text), "%s, %s", strerror(err), syscall_name);
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
}

static int int_args(napi_env env, napi_value *argv, size_t from, size_t to, int64_t *out) {
  for (size_t i = from; i < to; i++) {
    if (napi_get_value_int64(env, argv[i], &out[i - from]) != napi_ok) {
      napi_throw_type_error(env, NULL, "expected a number argument");
      return 0;
    }
  }
  return 1;
}

/* openat2(dirfd, path, flags, mode, resolve): the new fd. */
static napi_value js_openat2(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "openat2(dirfd, path, flags, mode, resolve)");
    return NULL;
  }
  int64_t n[4];
  int bad = 0;
  char *path = string_arg(env, argv[1], 0, &bad);
  if (bad) return NULL;
  napi_value rest[4] = {argv[0], argv[2], argv[3], argv[4]};
  if (!int_args(env, rest, 0, 4, n)) {
    free(path);
    return NULL;
  }
  struct open_how how = {.flags = (uint64_t)n[1] | O_CLOEXEC, .mode = (uint64_t)n[2], .resolve = (uint64_t)n[3]};
  long fd;
  do fd = syscall(SYS_openat2, (int)n[0], path, &how, sizeof(how));
  while (fd < 0 && errno == EAGAIN);
  int err = errno;
  free(path);
  if (fd < 0) {
    throw_errno(env, err, "openat2");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, (int32_t)fd, &r);
  return r;
}

/* mknod(path, mode, major, minor): mode carries the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "mknod(path, mode, major, minor)");
    return NULL;
  }
  int64_t n[3];
  int bad = 0;
  char *path = string_arg(env, argv[0], 0, &bad);
  if (bad) return NULL;
  if (!int_args(env, argv, 1, 4, n)) {
    free(path);
    return NULL;
  }
  int rc = mknod(path, (mode_t)n[0], makedev((unsigned)n[1], (unsigned)n[2]));
  int err = errno;
  free(path);
  if (rc != 0) throw_errno(env, err, "mknod");
  return NULL;
}

/*
 * setxattr(path, name, value: Buffer, follow): lsetxattr unless `follow`, which is for
 * /proc/self/fd/N paths (the magic link must be followed to reach the fd's inode).
 */
static napi_value js_setxattr(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_buffer = false, follow = false;
  if (argc >= 4) {
    napi_is_buffer(env, argv[2], &is_buffer);
    napi_get_value_bool(env, argv[3], &follow);
  }
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, "setxattr(path, name, value: Buffer, follow: boolean)");
    return NULL;
  }
  int bad = 0;
  char *path = string_arg(env, argv[0], 0, &bad);
  if (bad) return NULL;
  char *name = string_arg(env, argv[1], 0, &bad);
  if (bad) {
    free(path);
    return NULL;
  }
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[2], &data, &len);
  int rc = follow ? setxattr(path, name, data, len, 0) : lsetxattr(path, name, data, len, 0);
  int err = errno;
  free(path);
  free(name);
  if (rc != 0) throw_errno(env, err, follow ? "setxattr" : "lsetxattr");
  return NULL;
}

static void set_int(napi_env env, napi_value obj, const char *name, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

/* unreadSent(fd): bytes sent on the socket that its peer has not read (SIOCOUTQ). */
static napi_value js_unread_sent(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "unreadSent(fd)");
    return NULL;
  }
  int queued = 0;
  if (ioctl(fd, SIOCOUTQ, &queued) < 0) {
    throw_errno(env, errno, "ioctl");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, queued, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, js_trim, NULL, &fn);
  napi_set_named_property(env, exports, "trim", fn);
  napi_create_function(env, "mount", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_MOUNT, &fn);
  napi_set_named_property(env, exports, "mount", fn);
  napi_create_function(env, "umount", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_UMOUNT, &fn);
  napi_set_named_property(env, exports, "umount", fn);
  napi_create_function(env, "openat2", NAPI_AUTO_LENGTH, js_openat2, NULL, &fn);
  napi_set_named_property(env, exports, "openat2", fn);
  napi_create_function(env, "mknod", NAPI_AUTO_LENGTH, js_mknod, NULL, &fn);
  napi_set_named_property(env, exports, "mknod", fn);
  napi_create_function(env, "setxattr", NAPI_AUTO_LENGTH, js_setxattr, NULL, &fn);
  napi_set_named_property(env, exports, "setxattr", fn);
  napi_create_function(env, "unreadSent", NAPI_AUTO_LENGTH, js_unread_sent, NULL, &fn);
  napi_set_named_property(env, exports, "unreadSent", fn);
  napi_value c;
  napi_create_object(env, &c);
  set_int(env, c, "O_PATH", O_PATH);
  set_int(env, c, "O_DIRECTORY", O_DIRECTORY);
  set_int(env, c, "O_NOFOLLOW", O_NOFOLLOW);
  set_int(env, c, "RESOLVE_IN_ROOT", RESOLVE_IN_ROOT);
  set_int(env, c, "RESOLVE_NO_MAGICLINKS", RESOLVE_NO_MAGICLINKS);
  set_int(env, c, "RESOLVE_NO_XDEV", RESOLVE_NO_XDEV);
  set_int(env, c, "S_IFCHR", S_IFCHR);
  set_int(env, c, "S_IFBLK", S_IFBLK);
  set_int(env, c, "S_IFIFO", S_IFIFO);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
