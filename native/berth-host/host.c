/*
 * Calls berthd needs and Node does not offer, as a tiny N-API addon:
 * - mount(2) and umount2(2). Spawning mount(8) and umount(8) cost each container start and exit
 *   3-6 ms (util-linux reads mountinfo and utab first); the syscalls take a fraction of a
 *   millisecond. They run on libuv's thread pool: an unmount syncs the overlay's upper
 *   filesystem, which may take long after a container wrote much.
 * - malloc_trim(3): after a burst of streaming (an image load, a build context), glibc's heap
 *   keeps megabytes that a few long-lived allocations pin between freed buffers; this returns
 *   the free pages among them to the kernel (about 0.5 ms).
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, js_trim, NULL, &fn);
  napi_set_named_property(env, exports, "trim", fn);
  napi_create_function(env, "mount", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_MOUNT, &fn);
  napi_set_named_property(env, exports, "mount", fn);
  napi_create_function(env, "umount", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_UMOUNT, &fn);
  napi_set_named_property(env, exports, "umount", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
