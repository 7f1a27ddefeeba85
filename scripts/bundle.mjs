#!/usr/bin/env node
// Bundles the compiled entry points users run into single files that bin/berth and bin/berthd
// start (part of `npm run build`; tests import the unbundled dist/ modules):
// - dist/src/bin/berth.bundle.mjs, the CLI: every command is a new process, and Node's ES module
//   loader spent ~25 ms of each one resolving, reading and linking ~120 modules one by one.
// - dist/src/bin/berthd.bundle.mjs, the daemon, minified (whitespace and syntax; names stay,
//   so stack traces still name functions; a linked source map maps them back): each of ~290
//   modules cost the idle daemon a module record and its source text, kept as two bytes a
//   character when a comment holds one non-ASCII character. Together 4 MiB of resident memory
//   (bench/container-run, berthd idle). Features an idle daemon does not use (build, registry
//   client, image archives, container changes) are imported on first use and land in chunks.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist/src/bin');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (commander, tar-stream, dns-packet) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module';\nconst require = __berthCreateRequire(import.meta.url);" },
};

// Chunk names carry a hash: the last build's chunks go, or they would pile up.
await rm(join(bin, 'berthd-chunks'), { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: [join(bin, 'berth.js')], outfile: join(bin, 'berth.bundle.mjs') }),
  build({
    ...common,
    entryPoints: { 'berthd.bundle': join(bin, 'berthd.js') },
    outdir: bin,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'berthd-chunks/[name]-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
  }),
]);
