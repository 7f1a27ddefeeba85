#!/usr/bin/env node
import { runCli } from '../cli/program.js';

// No top-level await: the CLI's bundle is CommonJS (scripts/bundle.mjs says why). `done` is
// for berth-start.ts, which awaits it when it trains the code cache.
export const done = runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
