/**
 * node:http taken with require, not an ESM import. An ESM import reads every export of the
 * module, and three of node:http's (WebSocket, CloseEvent, MessageEvent) are lazy getters that
 * load undici with its WebAssembly HTTP parser: 11 MiB resident in a daemon that uses none of
 * them (bench/container-run, berthd idle), and start-up time in every CLI run. Types still
 * come from `import type … from 'node:http'`, which costs nothing at run time.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const http = require('node:http') as typeof import('node:http');
