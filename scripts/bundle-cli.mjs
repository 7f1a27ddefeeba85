#!/usr/bin/env node
// Bundles the compiled berth CLI (dist/src/bin/berth.js and the ~120 modules it imports) into
// one file, dist/src/bin/berth.bundle.mjs, which bin/berth runs. Every CLI command is a new
// process, and Node's ES module loader spent ~25 ms of each one resolving, reading and
// linking modules one by one (bench/container-run: berth CLI beside the docker CLI). The
// daemon is not bundled: it starts once.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'dist/src/bin/berth.js')],
  outfile: join(root, 'dist/src/bin/berth.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module';\nconst require = __berthCreateRequire(import.meta.url);" },
});
