/*
 * A SHA-256 whose updates run on libuv's pool, with the OpenSSL that Node itself carries. A blob
 * being stored is written to disk by a pool task already; hashing its bytes on the main thread
 * took a quarter of that thread's time in a 200 MB load (issue 22), time the same thread needs
 * for the streams. The bytes are hashed where they are: the buffers stay referenced until the
 * task is done, and the caller must not change them.
 *
 * OpenSSL's functions are looked up in the running node (its executable exports them to
 * addons), not linked: a Node built without them still loads this addon, and says so through
 * sha256Available() (berthd then hashes with node:crypto). No OpenSSL header is needed either:
 * the few declarations below are OpenSSL 3's stable API.
 *
 *   sha256Available(): boolean
 *   sha256Create(): handle
 *   sha256Update(handle, buffers: Buffer[]): Promise<void>   one at a time, in order
 *   sha256Digest(handle): string                              hex; the handle is spent
 */
#include "sha256.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_md_st EVP_MD;

static struct {
  EVP_MD_CTX *(*ctx_new)(void);
  void (*ctx_free)(EVP_MD_CTX *);
  const EVP_MD *(*sha256)(void);
  int (*init)(EVP_MD_CTX *, const EVP_MD *, void *);
  int (*update)(EVP_MD_CTX *, const void *, size_t);
  int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
  int state; /* 0 not looked up, 1 found, -1 missing */
} ssl;

static bool ssl_found(void) {
  if (ssl.state == 0) {
    *(void **)&ssl.ctx_new = dlsym(RTLD_DEFAULT, "EVP_MD_CTX_new");
    *(void **)&ssl.ctx_free = dlsym(RTLD_DEFAULT, "EVP_MD_CTX_free");
    *(void **)&ssl.sha256 = dlsym(RTLD_DEFAULT, "EVP_sha256");
    *(void **)&ssl.init = dlsym(RTLD_DEFAULT, "EVP_DigestInit_ex");
    *(void **)&ssl.update = dlsym(RTLD_DEFAULT, "EVP_DigestUpdate");
    *(void **)&ssl.final = dlsym(RTLD_DEFAULT, "EVP_DigestFinal_ex");
    ssl.state = ssl.ctx_new && ssl.ctx_free && ssl.sha256 && ssl.init && ssl.update && ssl.final ? 1 : -1;
  }
  return ssl.state == 1;
}

struct hasher {
  EVP_MD_CTX *ctx;
  bool busy;
  bool spent;
};

struct update {
  napi_async_work async;
  napi_deferred deferred;
  napi_ref keep;
  napi_ref keep_handle;
  struct hasher *h;
  size_t count;
  const unsigned char **data;
  size_t *len;
  bool failed;
};

static void finalize_hasher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct hasher *h = data;
  // Never while an update runs: the update holds a reference to the handle.
  ssl.ctx_free(h->ctx);
  free(h);
}

static struct hasher *hasher_arg(napi_env env, napi_value v) {
  napi_valuetype t;
  void *data = NULL;
  napi_typeof(env, v, &t);
  if (t != napi_external || napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a handle from sha256Create()");
    return NULL;
  }
  struct hasher *h = data;
  if (h->spent) {
    napi_throw_error(env, NULL, "this SHA-256 was already finished");
    return NULL;
  }
  if (h->busy) {
    napi_throw_error(env, NULL, "a SHA-256 takes one update at a time: await the one before");
    return NULL;
  }
  return h;
}

/* The call's `n` arguments into argv, the first being a usable handle; NULL (thrown) if not. */
static struct hasher *args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < n) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return hasher_arg(env, argv[0]);
}

static napi_value js_available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, ssl_found(), &r);
  return r;
}

static napi_value js_create(napi_env env, napi_callback_info info) {
  (void)info;
  if (!ssl_found()) {
    napi_throw_error(env, NULL, "this node does not export OpenSSL's EVP functions: hash with node:crypto");
    return NULL;
  }
  struct hasher *h = calloc(1, sizeof(*h));
  if (h) h->ctx = ssl.ctx_new();
  if (!h || !h->ctx || ssl.init(h->ctx, ssl.sha256(), NULL) != 1) {
    if (h && h->ctx) ssl.ctx_free(h->ctx);
    free(h);
    napi_throw_error(env, NULL, "cannot set up a SHA-256");
    return NULL;
  }
  napi_value r;
  if (napi_create_external(env, h, finalize_hasher, NULL, &r) != napi_ok) {
    ssl.ctx_free(h->ctx);
    free(h);
    return NULL;
  }
  return r;
}

static void execute(napi_env env, void *arg) {
  (void)env;
  struct update *u = arg;
  for (size_t i = 0; i < u->count && !u->failed; i++) {
    if (ssl.update(u->h->ctx, u->data[i], u->len[i]) != 1) u->failed = true;
  }
}

static void free_update(napi_env env, struct update *u) {
  if (u->keep) napi_delete_reference(env, u->keep);
  if (u->keep_handle) napi_delete_reference(env, u->keep_handle);
  free(u->data);
  free(u->len);
  free(u);
}

static void complete(napi_env env, napi_status status, void *arg) {
  struct update *u = arg;
  u->h->busy = false;
  if (status == napi_ok && !u->failed) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, u->deferred, undefined);
  } else {
    // The digest can no longer be right: the handle is spent, and a later digest refused.
    u->h->spent = true;
    napi_value msg, error;
    napi_create_string_utf8(env, status == napi_ok ? "SHA-256 update failed" : "SHA-256 update cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &error);
    napi_reject_deferred(env, u->deferred, error);
  }
  napi_delete_async_work(env, u->async);
  free_update(env, u);
}

static napi_value js_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct hasher *h = args(env, info, 2, argv, "sha256Update(handle, buffers: Buffer[])");
  if (!h) return NULL;
  bool is_array = false;
  uint32_t count = 0;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array || napi_get_array_length(env, argv[1], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "sha256Update(handle, buffers: Buffer[])");
    return NULL;
  }
  struct update *u = calloc(1, sizeof(*u));
  if (u) {
    u->data = calloc(count ? count : 1, sizeof(*u->data));
    u->len = calloc(count ? count : 1, sizeof(*u->len));
  }
  if (!u || !u->data || !u->len) {
    if (u) free_update(env, u);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  u->h = h;
  u->count = count;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    bool is_buffer = false;
    void *bytes = NULL;
    napi_get_element(env, argv[1], i, &item);
    napi_is_buffer(env, item, &is_buffer);
    if (!is_buffer || napi_get_buffer_info(env, item, &bytes, &u->len[i]) != napi_ok) {
      free_update(env, u);
      napi_throw_type_error(env, NULL, "sha256Update: every element must be a Buffer");
      return NULL;
    }
    u->data[i] = bytes;
  }
  // The array holds the buffers, and so their bytes, until the pool task is done; the handle is
  // held too, so its context is not freed under the task.
  napi_value promise, name;
  if (napi_create_reference(env, argv[1], 1, &u->keep) != napi_ok || napi_create_reference(env, argv[0], 1, &u->keep_handle) != napi_ok ||
      napi_create_promise(env, &u->deferred, &promise) != napi_ok) {
    free_update(env, u);
    napi_throw_error(env, NULL, "cannot queue a SHA-256 update");
    return NULL;
  }
  napi_create_string_utf8(env, "berth-sha256", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, u, &u->async);
  h->busy = true;
  napi_queue_async_work(env, u->async);
  return promise;
}

static napi_value js_digest(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct hasher *h = args(env, info, 1, argv, "sha256Digest(handle)");
  if (!h) return NULL;
  unsigned char md[64];
  unsigned int n = 0;
  h->spent = true;
  if (ssl.final(h->ctx, md, &n) != 1 || n != 32) {
    napi_throw_error(env, NULL, "SHA-256 finish failed");
    return NULL;
  }
  char hex[65];
  for (unsigned int i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  napi_value r;
  napi_create_string_latin1(env, hex, 64, &r);
  return r;
}

void register_sha256(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"sha256Available", js_available}, {"sha256Create", js_create}, {"sha256Update", js_update}, {"sha256Digest", js_digest}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
}
