#!/usr/bin/env node
// Bundles the compiled entry points users run into single files that bin/berth and bin/berthd
// start (part of `npm run build`; tests import the unbundled dist/ modules):
// - dist/src/bin/berth.bundle.mjs, the CLI: every command is a new process, and Node's ES module
//   loader spent ~25 ms of each one resolving, reading and linking ~120 modules one by one.
// - dist/ui/, the web dashboard berthd serves with --ui (ui/): app.js (preact, htm, uplot),
//   app.css and index.html, static files with nothing fetched from elsewhere; at most 150 KB
//   gzipped together, or the build fails.
// - dist/src/bin/berthd.bundle.mjs, the daemon, minified (whitespace and syntax; names stay,
//   so stack traces still name functions; a linked source map maps them back): each of ~290
//   modules cost the idle daemon a module record and its source text, kept as two bytes a
//   character when a comment holds one non-ASCII character. Together 4 MiB of resident memory
//   (bench/container-run, berthd idle). Features an idle daemon does not use (build, registry
//   client, image archives, container changes) are imported on first use and land in chunks.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
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
await rm(join(bin, 'berth-chunks'), { recursive: true, force: true });
await Promise.all([
  // Each command group in a chunk of its own: a command loads its group alone (src/cli/command-groups.ts).
  build({ ...common, entryPoints: { 'berth.bundle': join(bin, 'berth.js') }, outdir: bin, outExtension: { '.js': '.mjs' }, splitting: true, chunkNames: 'berth-chunks/[name]-[hash]' }),
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

// The dashboard, for browsers: no eval, no inline script (its CSP forbids both).
const ui = join(root, 'dist/ui');
await rm(ui, { recursive: true, force: true });
await mkdir(ui, { recursive: true });
await Promise.all([
  build({ entryPoints: [join(root, 'ui/src/main.js')], outfile: join(ui, 'app.js'), bundle: true, format: 'esm', platform: 'browser', target: ['es2022'], minify: true, legalComments: 'none', logLevel: 'warning' }),
  build({ entryPoints: [join(root, 'ui/app.css')], outfile: join(ui, 'app.css'), bundle: true, minify: true, logLevel: 'warning' }),
  copyFile(join(root, 'ui/index.html'), join(ui, 'index.html')),
]);
const UI_BUDGET = 150 * 1024;
let gz = 0;
for (const f of ['app.js', 'app.css', 'index.html']) gz += gzipSync(await readFile(join(ui, f))).length;
if (gz > UI_BUDGET) throw new Error(`the dashboard is ${gz} bytes gzipped, over its ${UI_BUDGET}-byte budget`);
