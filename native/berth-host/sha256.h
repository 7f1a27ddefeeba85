/* SHA-256 updated on libuv's pool (sha256.c). */
#ifndef BERTH_SHA256_H
#define BERTH_SHA256_H

#define NAPI_VERSION 8
#include <node_api.h>

void register_sha256(napi_env env, napi_value exports);

#endif
