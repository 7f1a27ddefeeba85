/**
 * Node builtins taken with process.getBuiltinModule, and the costly ones only when first used.
 *
 * An ESM import reads every export of a module, and three of node:http's (WebSocket,
 * CloseEvent, MessageEvent) are getters that load undici with its WebAssembly HTTP parser:
 * 11 MiB resident in a daemon that uses none of them (bench/container-run, berthd idle), and
 * start-up time in every CLI run. https/tls (2.6 MiB) and zlib (0.8 MiB) serve registries,
 * TLS listeners and compressed layers; a daemon that never meets one should not pay for them.
 * crypto costs every CLI command 4 ms to load, and few of them use it; http, with its server
 * half, 5 ms, and the CLI's requests that read their answer whole do without it (client/plain-http.ts).
 * Types still come from `import type … from 'node:…'`, which costs nothing at run time.
 * getBuiltinModule, not createRequire(import.meta.url): the same code runs in ES modules and in
 * the CLI's CommonJS bundle (scripts/bundle.mjs), where import.meta does not exist.
 */
export const http = (): typeof import('node:http') => process.getBuiltinModule('node:http');

export const https = (): typeof import('node:https') => process.getBuiltinModule('node:https');

export const tls = (): typeof import('node:tls') => process.getBuiltinModule('node:tls');

export const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

export const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');
