#!/usr/bin/env node
// Bundles the compiled entry points users run into single files that bin/berth and bin/berthd
// start (part of `npm run build`; tests import the unbundled dist/ modules):
// - dist/src/bin/berth.bundle.cjs, the CLI: every command is a new process, and Node's ES module
//   loader spent ~25 ms of each one resolving, reading and linking ~120 modules one by one. One
//   CommonJS file, not ES modules: even a handful of ES chunks cost each command ~8 ms of CPU in
//   the ES loader (URL and path work, module records, linking) that one CommonJS file does not.
//   Each command group stays unevaluated until a command needs it (esbuild wraps the modules
//   that command-groups.ts imports dynamically in functions called on first import).
//   bin/berth starts it through dist/src/bin/berth-start.cjs with a V8 code cache made here, by
//   running a few commands that fail before reaching any daemon (src/bin/cli-code-cache.ts):
//   one for each of those commands, and one of them all for any other.
//   Without the cache (the training failed, another Node) the CLI works the same, slower.
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
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

/**
 * Builtins most CLI commands never call, whose loading cost each command ~3 ms of CPU (with
 * what they load in turn: dgram, os, readline's history, fs watchers): commander requires
 * child_process for executable subcommands berth has none of, the docker config module imports
 * it for credential helpers, prompts import readline. In the CLI bundle each is an object of
 * getters that loads the builtin on first use of any export.
 */
const LAZY_BUILTINS = ['child_process', 'readline', 'fs/promises'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|').replaceAll('/', '\\/')})$`) }, (a) => ({ path: a.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => {
      const keys = Object.keys(process.getBuiltinModule(`node:${a.path}`));
      return {
        loader: 'js',
        contents: `let m;\nconst load = () => (m ??= process.getBuiltinModule(${JSON.stringify(`node:${a.path}`)}));\nconst lazy = {};\nfor (const k of ${JSON.stringify(keys)}) Object.defineProperty(lazy, k, { enumerable: true, get: () => load()[k] });\nmodule.exports = lazy;\n`,
      };
    });
  },
};

// Chunk names carry a hash: the last build's chunks go, or they would pile up.
await rm(join(bin, 'berthd-chunks'), { recursive: true, force: true });
// The CLI was ES modules in chunks before; what an older build left there is never loaded.
await rm(join(bin, 'berth-chunks'), { recursive: true, force: true });
await Promise.all(['berth.bundle.mjs', 'berth.bundle.mjs.map'].map((f) => rm(join(bin, f), { force: true })));
await Promise.all([
  // CommonJS: `require` is its own, and import.meta.dirname (registry-command.ts) is the bundle's directory.
  // Minified (whitespace and syntax; names stay) like berthd's: less source for V8 to read and scan.
  build({ ...common, format: 'cjs', banner: {}, minifyWhitespace: true, minifySyntax: true, charset: 'ascii', define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' }, entryPoints: { 'berth.bundle': join(bin, 'berth.js'), 'berth-start': join(bin, 'berth-start.js') }, outdir: bin, outExtension: { '.js': '.cjs' }, plugins: [lazyBuiltins] }),
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

await trainCliCodeCache();

/**
 * Names the CLI bundle by its hash (the code cache must match it byte for byte) and makes its
 * code cache with the Node that bin/berth runs. The training commands find no daemon: BERTH_HOST
 * names a socket in an empty directory of their own, and the docker config is empty too.
 */
async function trainCliCodeCache() {
  const bundle = join(bin, 'berth.bundle.cjs');
  // Every cache of an older build goes: each names the bundle it was made from, but a command
  // no longer trained would keep a stale file for ever.
  for (const f of await readdir(bin)) if (/^berth\.bundle\..*codecache$/.test(f)) await rm(join(bin, f), { force: true });
  const token = createHash('sha256').update(await readFile(bundle)).digest('hex').slice(0, 32);
  const { buildTokenLine } = await import(join(bin, 'cli-code-cache.js'));
  await appendFile(bundle, buildTokenLine(token));
  const scratch = await mkdtemp(join(tmpdir(), 'berth-cache-training-'));
  try {
    const node = existsSync(join(root, 'node_modules/.bin/node')) ? join(root, 'node_modules/.bin/node') : process.execPath;
    const runs = [['--help'], ['version'], ['run', '--rm', 'busybox', 'true'], ['ps'], ['images'], ['rm', '-f', 'x'], ['logs', 'x'], ['exec', 'x', 'true'], ['pull', 'busybox'], ['inspect', 'x']];
    // One cache trained on every run (for any command), and one per command trained on its run
    // alone, smaller and so quicker for V8 to read (cli-code-cache.ts `cachesFor`). Two at a time.
    const jobs = [{ file: 'berth.bundle.codecache', runs }, ...runs.filter(([c]) => /^[a-z]/.test(c)).map((run) => ({ file: `berth.bundle.${run[0]}.codecache`, runs: [run] }))];
    const train = ({ file, runs: trained }) =>
      new Promise((resolve) => {
        const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, BERTH_HOST: `unix://${scratch}/none.sock`, DOCKER_CONFIG: scratch, BERTH_CODE_CACHE_TRAIN: JSON.stringify(trained), BERTH_CODE_CACHE_FILE: file };
        const child = spawn(node, [join(bin, 'berth-start.cjs')], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
        let stderr = '';
        child.stderr.on('data', (b) => (stderr += b));
        child.on('close', (code, signal) => {
          if (code !== 0 || !existsSync(join(bin, file))) console.warn(`bundle: no code cache ${file} for the CLI (it works without, slower): training exited ${code ?? signal}: ${stderr.slice(0, 2000)}`);
          resolve();
        });
      });
    for (let i = 0; i < jobs.length; i += 2) await Promise.all(jobs.slice(i, i + 2).map(train));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

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
