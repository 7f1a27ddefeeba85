/* posix_spawn, pidfd exit watching and pipes for berthd's child processes (spawn.c). */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#define NAPI_VERSION 8
#include <node_api.h>

/* host.c's helpers: a string argument (NULL and *bad set, with a pending exception, on error)… */
char *host_string_arg(napi_env env, napi_value v, int nullable, int *bad);
/* …and the kernel's error thrown as node:fs throws it (`code`, `errno`, `syscall`, `path`). */
void host_throw_errno(napi_env env, int err, const char *syscall_name, const char *path);

void free_vector(char **v);
void register_spawn(napi_env env, napi_value exports);

#endif
