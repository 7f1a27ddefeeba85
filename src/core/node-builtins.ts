/**
 * Node builtins taken with require, and the costly ones only when first used.
 *
 * An ESM import reads every export of a module, and three of node:http's (WebSocket,
 * CloseEvent, MessageEvent) are getters that load undici with its WebAssembly HTTP parser:
 * 11 MiB resident in a daemon that uses none of them (bench/container-run, berthd idle), and
 * start-up time in every CLI run. https/tls (2.6 MiB) and zlib (0.8 MiB) serve registries,
 * TLS listeners and compressed layers; a daemon that never meets one should not pay for them.
 * crypto costs every CLI command 4 ms to load, and few of them use it.
 * Types still come from `import type … from 'node:…'`, which costs nothing at run time.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const http = require('node:http') as typeof import('node:http');

export const https = (): typeof import('node:https') => require('node:https') as typeof import('node:https');

export const tls = (): typeof import('node:tls') => require('node:tls') as typeof import('node:tls');

export const zlib = (): typeof import('node:zlib') => require('node:zlib') as typeof import('node:zlib');

export const crypto = (): typeof import('node:crypto') => require('node:crypto') as typeof import('node:crypto');
