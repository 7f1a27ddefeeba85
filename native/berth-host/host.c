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
 * - A directory tree removed (rm -rf, no symlink followed, no mount entered) in one pool task.
 * - A file written atomically (temp file, fsync, rename, fsync of the directory) in one pool
 *   task: berthd's records and a container's files, each a chain of seven or so node:fs round
 *   trips through the event loop otherwise.
 * - posix_spawn(2) of host programs, reaped through a pidfd on Node's loop (spawn.c): Node's
 *   child_process forks berthd's whole address space for every program it starts.
 * - SHA-256 updates on the pool (sha256.c), for blobs hashed while they are written.
 * - A network namespace, a veth pair into it and the removal of a link, over rtnetlink (links.c):
 *   every bridge-networked start spent 13-15 ms spawning unshare(1), ip(8) and nsenter(1) for
 *   them. Promises like mount's; the work inside a namespace runs on a thread of its own.
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
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include "links.h"
#include "sha256.h"
#include "spawn.h"

enum op { OP_MOUNT, OP_UMOUNT, OP_NETNS_CREATE, OP_VETH_ATTACH, OP_LINK_DELETE, OP_ATOMIC_WRITE, OP_REMOVE_TREE };

struct work {
  enum op op;
  char *source, *target, *fstype, *data;
  unsigned long flags;
  size_t data_len; /* OP_ATOMIC_WRITE: `data` is the file's bytes, not a string */
  struct veth_spec *veth;
  int err;
  /* Which step failed, for the network calls (mount and umount say only the errno). */
  struct link_failure failure;
  napi_deferred deferred;
  napi_async_work async;
  napi_threadsafe_function done;
};

static void free_veth(struct veth_spec *v) {
  if (!v) return;
  free(v->netns);
  free(v->extra);
  free(v);
}

static void free_work(struct work *w) {
  free_veth(w->veth);
  free(w->source);
  free(w->target);
  free(w->fstype);
  free(w->data);
  free(w);
}

/* mkdir -p of the directory `file` is in (0777 less the umask, as node:fs makes them). */
static int make_parents(const char *file) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s", file) >= (int)sizeof dir) return ENAMETOOLONG;
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = '\0';
  for (char *p = dir + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) return errno;
    if (c == '\0') return 0;
    *p = c;
  }
}

#define WRITE_SYNC_FILE 0x10000UL
#define WRITE_SYNC_DIR 0x20000UL

/*
 * The temp file `source` written with `data` (fsynced with WRITE_SYNC_FILE), renamed over
 * `target`, the rename fsynced in its directory with WRITE_SYNC_DIR: on one pool thread, where
 * node:fs takes a round trip through the event loop for each of the seven or so steps.
 */
static void atomic_write(struct work *w) {
  mode_t mode = (mode_t)(w->flags & 07777);
  const char *step = "creating";
  int fd = open(w->source, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 && errno == ENOENT) {
    int err = make_parents(w->source);
    if (err) {
      w->err = err;
      snprintf(w->failure.step, sizeof w->failure.step, "making the directory of %.400s", w->target);
      return;
    }
    fd = open(w->source, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  }
  if (fd < 0) goto failed;
  step = "writing";
  for (size_t done = 0; done < w->data_len;) {
    ssize_t n = write(fd, w->data + done, w->data_len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;
    if (n <= 0) goto failed_open;
    done += (size_t)n;
  }
  step = "syncing";
  if ((w->flags & WRITE_SYNC_FILE) && fsync(fd) < 0) goto failed_open;
  step = "closing";
  if (close(fd) < 0) {
    fd = -1;
    goto failed;
  }
  fd = -1;
  step = "renaming";
  if (rename(w->source, w->target) < 0) goto failed;
  if (w->flags & WRITE_SYNC_DIR) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", w->target);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd < 0 ? -1 : fsync(dfd);
    int err = errno;
    if (dfd >= 0) close(dfd);
    if (rc < 0) {
      w->err = err;
      snprintf(w->failure.step, sizeof w->failure.step, "syncing the directory of %.400s", w->target);
    }
  }
  return;
failed_open:
  w->err = errno;
  close(fd);
  goto cleanup;
failed:
  w->err = errno;
cleanup:
  snprintf(w->failure.step, sizeof w->failure.step, "%s %.400s", step, w->source);
  unlink(w->source);
}

/* The first failure of this thread's tree walk (nftw's callback has no argument of ours). */
static __thread int tree_err;
static __thread char tree_failed[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  int rc = type == FTW_DP || type == FTW_DNR ? rmdir(path) : unlink(path);
  if (rc < 0 && errno != ENOENT && tree_err == 0) {
    tree_err = errno;
    snprintf(tree_failed, sizeof tree_failed, "%s", path);
  }
  return 0;
}

/*
 * rm -rf of `target` in one pool task, children first, never following a symlink (FTW_PHYS) nor
 * entering another filesystem (FTW_MOUNT: a mount inside is left, and its directory's removal
 * fails, ENOTEMPTY). node:fs's recursive rm takes an event-loop round trip per entry.
 */
static void remove_tree(struct work *w) {
  tree_err = 0;
  tree_failed[0] = '\0';
  if (nftw(w->target, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT && tree_err == 0) {
    tree_err = errno;
    snprintf(tree_failed, sizeof tree_failed, "%s", w->target);
  }
  w->err = tree_err;
  if (tree_err) snprintf(w->failure.step, sizeof w->failure.step, "removing %.480s", tree_failed);
}

static void execute(napi_env env, void *arg) {
  (void)env;
  struct work *w = arg;
  if (w->op == OP_ATOMIC_WRITE) {
    atomic_write(w);
    return;
  }
  if (w->op == OP_REMOVE_TREE) {
    remove_tree(w);
    return;
  }
  int rc = w->op == OP_MOUNT ? mount(w->source, w->target, w->fstype, w->flags, w->data) : umount2(w->target, (int)w->flags);
  w->err = rc == 0 ? 0 : errno;
}

/* Resolves or rejects the call's promise (the kernel's errno as `code`, the failed step first). */
static void settle(napi_env env, napi_status status, struct work *w) {
  if (status == napi_ok && w->err == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, w->deferred, undefined);
  } else {
    int err = status == napi_ok ? w->err : ECANCELED;
    napi_value code, msg, error, errno_value;
    char text[sizeof(w->failure.step) + sizeof(w->failure.detail) + 128];
    const struct link_failure *f = &w->failure;
    if (status == napi_ok && f->step[0]) snprintf(text, sizeof(text), "%s: %s%s%s%s", f->step, strerror(err), f->detail[0] ? " (" : "", f->detail, f->detail[0] ? ")" : "");
    else snprintf(text, sizeof(text), "%s", strerror(err));
    napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_create_int32(env, -err, &errno_value);
    napi_set_named_property(env, error, "errno", errno_value);
    napi_reject_deferred(env, w->deferred, error);
  }
}

static void complete(napi_env env, napi_status status, void *arg) {
  struct work *w = arg;
  settle(env, status, w);
  napi_delete_async_work(env, w->async);
  free_work(w);
}

/*
 * The network calls run each on a thread of their own, not on libuv's pool: a thread that enters
 * a namespace stays in it, and a link's removal waits ~25 ms on the kernel (RCU), which would
 * hold a pool thread that berthd's file I/O needs. The thread hands its result back through a
 * thread-safe function, which also keeps the event loop alive until then.
 */
static void network_done(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  struct work *w = data;
  if (env) settle(env, napi_ok, w);
  free_work(w);
}

static void *network_thread(void *arg) {
  struct work *w = arg;
  switch (w->op) {
    case OP_NETNS_CREATE: w->err = netns_create(w->target, &w->failure); break;
    case OP_VETH_ATTACH: w->err = veth_attach(w->veth, &w->failure); break;
    case OP_LINK_DELETE: w->err = link_delete(w->target, &w->failure); break;
    default: w->err = EINVAL; break;
  }
  napi_threadsafe_function done = w->done;
  // When berthd is exiting the call is refused, and the work is freed here instead.
  if (napi_call_threadsafe_function(done, w, napi_tsfn_blocking) != napi_ok) free_work(w);
  napi_release_threadsafe_function(done, napi_tsfn_release);
  return NULL;
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
  // A NUL would cut the path short where the kernel reads it (node:fs refuses such paths too).
  if (strlen(s) != len) {
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "a path or name may not contain a NUL byte");
    *bad = 1;
    return NULL;
  }
  return s;
}

static napi_value queue(napi_env env, struct work *w) {
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  static const char *const names[] = {"berth-mount", "berth-umount", "berth-netns-create", "berth-veth-attach", "berth-link-delete", "berth-atomic-write", "berth-remove-tree"};
  napi_create_string_utf8(env, names[w->op], NAPI_AUTO_LENGTH, &name);
  if (w->op == OP_MOUNT || w->op == OP_UMOUNT || w->op == OP_ATOMIC_WRITE || w->op == OP_REMOVE_TREE) {
    napi_create_async_work(env, NULL, name, execute, complete, w, &w->async);
    napi_queue_async_work(env, w->async);
    return promise;
  }
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, network_done, &w->done) != napi_ok) {
    w->err = ENOMEM;
    settle(env, napi_ok, w);
    free_work(w);
    return promise;
  }
  // No signal is delivered to the thread: Node's handlers belong on its own threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int err = pthread_create(&thread, &attr, network_thread, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err) {
    napi_release_threadsafe_function(w->done, napi_tsfn_abort);
    w->err = err;
    snprintf(w->failure.step, sizeof(w->failure.step), "starting a thread");
    settle(env, napi_ok, w);
    free_work(w);
  }
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
 * mount(source, target, fstype, flags, data), umount(target, flags), netnsCreate(path) and
 * linkDelete(name), all Promise<void>: one entry point, told apart by the op the function was
 * made with.
 */
static napi_value js_call(napi_env env, napi_callback_info info) {
  static const char *const usage[] = {
    [OP_MOUNT] = "mount(source, target, fstype, flags, data)",
    [OP_UMOUNT] = "umount(target, flags)",
    [OP_NETNS_CREATE] = "netnsCreate(path)",
    [OP_LINK_DELETE] = "linkDelete(name)",
    [OP_REMOVE_TREE] = "removeTree(path)",
  };
  static const size_t needed[] = {[OP_MOUNT] = 5, [OP_UMOUNT] = 2, [OP_NETNS_CREATE] = 1, [OP_LINK_DELETE] = 1, [OP_REMOVE_TREE] = 1};
  napi_value argv[5];
  size_t argc = 5;
  void *data;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  enum op op = (enum op)(intptr_t)data;
  if (argc < needed[op]) {
    napi_throw_type_error(env, NULL, usage[op]);
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
  if (bad || ((op == OP_MOUNT || op == OP_UMOUNT) && !number_arg(env, argv[op == OP_MOUNT ? 3 : 1], &w->flags))) {
    free_work(w);
    return NULL;
  }
  return queue(env, w);
}

/* A string property of the veth spec; "" when absent and `optional` (as the TS side's `?:`). */
static char *spec_string(napi_env env, napi_value obj, const char *key, int optional, int *bad) {
  napi_value v;
  if (*bad) return NULL;
  napi_get_named_property(env, obj, key, &v);
  char *s = string_arg(env, v, optional, bad);
  if (!s && !*bad) s = calloc(1, 1);
  if (!s && !*bad) {
    napi_throw_error(env, NULL, "out of memory");
    *bad = 1;
  }
  return s;
}

static int spec_invalid(napi_env env, const char *key, const char *value) {
  char text[200];
  snprintf(text, sizeof(text), "vethAttach: invalid %s '%.120s'", key, value);
  napi_throw_type_error(env, NULL, text);
  return 0;
}

static int spec_name(napi_env env, const char *key, const char *value, char out[IFNAMSIZ]) {
  if (value[0] == '\0' || strlen(value) >= IFNAMSIZ) return spec_invalid(env, key, value);
  strcpy(out, value);
  return 1;
}

/* An optional address (gateways, IPv6): absent when "" (as the TS side's falsy checks). */
static int spec_ip(napi_env env, const char *key, const char *value, int with_prefix, struct ip_addr *out, int family, int *has) {
  *has = value[0] != '\0';
  if (!*has) return 1;
  if (!parse_ip(value, with_prefix, out) || (family && out->family != family)) return spec_invalid(env, key, value);
  return 1;
}

static int parse_veth(napi_env env, napi_value obj, struct veth_spec *v) {
  int bad = 0, ok = 0, has;
  char *netns = spec_string(env, obj, "netns", 0, &bad), *bridge = spec_string(env, obj, "bridge", 0, &bad);
  char *host = spec_string(env, obj, "hostName", 0, &bad), *ifname = spec_string(env, obj, "ifName", 0, &bad);
  char *addr = spec_string(env, obj, "addressCidr", 0, &bad), *gateway = spec_string(env, obj, "gateway", 1, &bad);
  char *addr6 = spec_string(env, obj, "address6Cidr", 1, &bad), *gateway6 = spec_string(env, obj, "gateway6", 1, &bad);
  char *mac = spec_string(env, obj, "mac", 0, &bad);
  if (bad) goto out;
  v->netns = netns;
  netns = NULL;
  if (!spec_name(env, "bridge", bridge, v->bridge) || !spec_name(env, "hostName", host, v->host) || !spec_name(env, "ifName", ifname, v->ifname)) goto out;
  if (!parse_mac(mac, v->mac)) {
    spec_invalid(env, "mac", mac);
    goto out;
  }
  if (!spec_ip(env, "addressCidr", addr, 1, &v->addr, AF_INET, &has) || !has) {
    if (!has) spec_invalid(env, "addressCidr", addr);
    goto out;
  }
  if (!spec_ip(env, "gateway", gateway, 0, &v->gateway, AF_INET, &v->has_gateway)) goto out;
  if (!spec_ip(env, "address6Cidr", addr6, 1, &v->addr6, AF_INET6, &v->has_addr6)) goto out;
  if (!spec_ip(env, "gateway6", gateway6, 0, &v->gateway6, AF_INET6, &v->has_gateway6)) goto out;
  napi_value n;
  uint32_t mtu;
  napi_get_named_property(env, obj, "mtu", &n);
  if (napi_get_value_uint32(env, n, &mtu) != napi_ok || mtu == 0) {
    napi_throw_type_error(env, NULL, "vethAttach: mtu must be a positive number");
    goto out;
  }
  v->mtu = mtu;
  napi_value extra;
  napi_valuetype t;
  napi_get_named_property(env, obj, "extraAddresses", &extra);
  napi_typeof(env, extra, &t);
  uint32_t count = 0;
  if (t != napi_undefined && t != napi_null && napi_get_array_length(env, extra, &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "vethAttach: extraAddresses must be an array");
    goto out;
  }
  if (count) {
    v->extra = calloc(count, sizeof(*v->extra));
    if (!v->extra) {
      napi_throw_error(env, NULL, "out of memory");
      goto out;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value e;
    napi_get_element(env, extra, i, &e);
    char *s = string_arg(env, e, 0, &bad);
    if (bad) goto out;
    int parsed = parse_ip(s, 1, &v->extra[i]);
    if (!parsed) spec_invalid(env, "extra address", s);
    free(s);
    if (!parsed) goto out;
    v->n_extra++;
  }
  ok = 1;
out:
  free(netns);
  free(bridge);
  free(host);
  free(ifname);
  free(addr);
  free(gateway);
  free(addr6);
  free(gateway6);
  free(mac);
  return ok;
}

/* vethAttach(spec), Promise<void>: the spec's fields are host-links.ts's VethSpec. */
static napi_value js_veth_attach(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_object) {
    napi_throw_type_error(env, NULL, "vethAttach(spec)");
    return NULL;
  }
  struct work *w = calloc(1, sizeof(*w));
  if (w) w->veth = calloc(1, sizeof(*w->veth));
  if (!w || !w->veth) {
    free(w);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->op = OP_VETH_ATTACH;
  if (!parse_veth(env, argv[0], w->veth)) {
    free_work(w);
    return NULL;
  }
  return queue(env, w);
}

/*
 * atomicWrite(path, tmp, data: Buffer, mode, syncFile, syncDir): Promise<void>. The bytes are
 * copied now (the pool thread must not touch the JS heap); a failure removes the temp file and
 * rejects with the errno as `code` and the failed step first in the message.
 */
static napi_value js_atomic_write(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  size_t argc = 6;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_buffer = false, sync_file = false, sync_dir = false;
  uint32_t mode = 0;
  if (argc >= 6) {
    napi_is_buffer(env, argv[2], &is_buffer);
    napi_get_value_uint32(env, argv[3], &mode);
    napi_get_value_bool(env, argv[4], &sync_file);
    napi_get_value_bool(env, argv[5], &sync_dir);
  }
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, "atomicWrite(path, tmp, data: Buffer, mode, syncFile, syncDir)");
    return NULL;
  }
  struct work *w = calloc(1, sizeof(*w));
  if (!w) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->op = OP_ATOMIC_WRITE;
  int bad = 0;
  w->target = string_arg(env, argv[0], 0, &bad);
  if (!bad) w->source = string_arg(env, argv[1], 0, &bad);
  void *bytes = NULL;
  napi_get_buffer_info(env, argv[2], &bytes, &w->data_len);
  if (!bad && (w->data = malloc(w->data_len ? w->data_len : 1)) == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    bad = 1;
  }
  if (bad) {
    free_work(w);
    return NULL;
  }
  if (w->data_len) memcpy(w->data, bytes, w->data_len);
  w->flags = (mode & 07777) | (sync_file ? WRITE_SYNC_FILE : 0) | (sync_dir ? WRITE_SYNC_DIR : 0);
  return queue(env, w);
}

/* trim(): whether malloc_trim(0) gave memory back. */
static napi_value js_trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, malloc_trim(0) == 1, &r);
  return r;
}

/* Throws the kernel's error as Node's fs does: `code` its name, `errno` negative, `path` when given. */
void host_throw_errno(napi_env env, int err, const char *syscall_name, const char *path) {
  napi_value code, msg, error, errno_value, sc;
  char text[1200];
  if (path) snprintf(text, sizeof(text), "%s, %s '%.1024s'", strerror(err), syscall_name, path);
  else snprintf(text, sizeof(text), "%s, %s", strerror(err), syscall_name);
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, error, "path", p);
  }
  napi_throw(env, error);
}

static void throw_errno(napi_env env, int err, const char *syscall_name) {
  host_throw_errno(env, err, syscall_name, NULL);
}

char *host_string_arg(napi_env env, napi_value v, int nullable, int *bad) {
  return string_arg(env, v, nullable, bad);
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
  napi_create_function(env, "netnsCreate", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_NETNS_CREATE, &fn);
  napi_set_named_property(env, exports, "netnsCreate", fn);
  napi_create_function(env, "linkDelete", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_LINK_DELETE, &fn);
  napi_set_named_property(env, exports, "linkDelete", fn);
  napi_create_function(env, "removeTree", NAPI_AUTO_LENGTH, js_call, (void *)(intptr_t)OP_REMOVE_TREE, &fn);
  napi_set_named_property(env, exports, "removeTree", fn);
  napi_create_function(env, "atomicWrite", NAPI_AUTO_LENGTH, js_atomic_write, NULL, &fn);
  napi_set_named_property(env, exports, "atomicWrite", fn);
  napi_create_function(env, "vethAttach", NAPI_AUTO_LENGTH, js_veth_attach, NULL, &fn);
  napi_set_named_property(env, exports, "vethAttach", fn);
  napi_create_function(env, "openat2", NAPI_AUTO_LENGTH, js_openat2, NULL, &fn);
  napi_set_named_property(env, exports, "openat2", fn);
  napi_create_function(env, "mknod", NAPI_AUTO_LENGTH, js_mknod, NULL, &fn);
  napi_set_named_property(env, exports, "mknod", fn);
  napi_create_function(env, "setxattr", NAPI_AUTO_LENGTH, js_setxattr, NULL, &fn);
  napi_set_named_property(env, exports, "setxattr", fn);
  napi_create_function(env, "unreadSent", NAPI_AUTO_LENGTH, js_unread_sent, NULL, &fn);
  napi_set_named_property(env, exports, "unreadSent", fn);
  register_spawn(env, exports);
  register_sha256(env, exports);
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
