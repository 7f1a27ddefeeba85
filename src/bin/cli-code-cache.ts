/**
 * The CLI bundle run with a V8 code cache made at build time (issue 22). Node's own compile
 * cache (NODE_COMPILE_CACHE) keeps only what V8 compiles with the script: its top level. Every
 * function a command calls (commander's, the group modules', the client's) was compiled again
 * in every process, 4-10 ms of each command's CPU. A cache taken after the build ran a few
 * commands (trainCodeCache) holds their functions too; berth-start.ts runs the bundle with it.
 *
 * A cache that does not fit is never used: V8 rejects one from another V8 version or with other
 * flags, but checks the source only by its length, so the cache names the bundle it was made
 * from by the build's token (the bundle's hash, written at its end by scripts/bundle.mjs). A
 * missing, foreign or rejected cache costs only the compilation it would have saved.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants, Script } from 'node:vm';

const MAGIC = 'berth-code-cache 1 ';

/** The last line scripts/bundle.mjs writes into the bundle: the hash of everything before it. */
export function buildTokenLine(token: string): string {
  return `\n//# berthBuild=${token}\n`;
}

/** The build token at the end of a bundle's source, if it has one. */
export function bundleToken(source: string): string | undefined {
  return /\/\/# berthBuild=([0-9a-f]{16,})\s*$/.exec(source.slice(-200))?.[1];
}

/** A cache file: a header naming the bundle's token, then V8's data. */
export function encodeCodeCache(token: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${MAGIC}${token}\n`, 'latin1'), data]);
}

/** V8's data from a cache file, or undefined when the file is made for another bundle (or is none). */
export function decodeCodeCache(file: Buffer | undefined, token: string | undefined): Buffer | undefined {
  if (file === undefined || token === undefined) return undefined;
  const header = `${MAGIC}${token}\n`;
  if (file.length <= header.length || file.toString('latin1', 0, header.length) !== header) return undefined;
  return file.subarray(header.length);
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

export interface LoadedBundle {
  readonly script: Script;
  readonly token: string | undefined;
  /** Whether a cache was offered and V8 took it. */
  readonly cacheUsed: boolean;
  /** Evaluates the bundle as the CommonJS module it is (again, for training); returns its exports. */
  run(): Record<string, unknown>;
}

/**
 * The caches to try for a command line, best first: the one trained on its command alone, then
 * the one trained on them all. V8 reads a whole cache before the bundle runs, 7-8 ms for the
 * general one (428 KB); `version`'s own (211 KB) saved it 1.8 ms and `ps`'s 1.3 (medians of 100
 * alternating runs). A command line that starts with an option (`berth -H … ps`) or names a
 * command without a cache of its own gets the general one.
 */
export function cachesFor(dir: string, argv: readonly string[]): string[] {
  const command = argv[0];
  const general = join(dir, 'berth.bundle.codecache');
  return command !== undefined && /^[a-z][a-z-]*$/.test(command) ? [join(dir, `berth.bundle.${command}.codecache`), general] : [general];
}

/**
 * Compiles the bundle at `bundlePath` with the first cache of `cachePaths` that fits; with
 * `requireCache`, undefined when none fits (the caller then lets Node load the bundle, with
 * Node's own compile cache).
 */
export function loadBundle(bundlePath: string, cachePaths: string | readonly string[], requireCache: true): LoadedBundle | undefined;
export function loadBundle(bundlePath: string, cachePaths: string | readonly string[], requireCache?: false): LoadedBundle;
export function loadBundle(bundlePath: string, cachePaths: string | readonly string[], requireCache = false): LoadedBundle | undefined {
  const source = readFileSync(bundlePath, 'utf8');
  const token = bundleToken(source);
  let cachedData: Buffer | undefined;
  for (const path of typeof cachePaths === 'string' ? [cachePaths] : cachePaths) {
    cachedData = decodeCodeCache(readOrUndefined(path), token);
    if (cachedData) break;
  }
  if (requireCache && cachedData === undefined) return undefined;
  // Node's CommonJS wrapper, on the first line so that line numbers stay the bundle's; a
  // hashbang is a comment only at a script's very start. A declared function, not Node's
  // parenthesized one: V8 compiles a parenthesized function eagerly, all 0.4 MB of the bundle's
  // top level, 50 ms whenever V8 rejects the cache (another Node, V8 flags in NODE_OPTIONS).
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const script = new Script(`function berthBundle(exports, require, module, __filename, __dirname) { ${body}\n}\nberthBundle`, {
    filename: bundlePath,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const require = createRequire(bundlePath);
  return {
    script,
    token,
    cacheUsed: cachedData !== undefined && script.cachedDataRejected !== true,
    run() {
      const module = { exports: {} as Record<string, unknown>, filename: bundlePath, id: '.', loaded: false };
      const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void;
      wrapper(module.exports, require, module, bundlePath, dirname(bundlePath));
      module.loaded = true;
      return module.exports;
    },
  };
}

/**
 * Runs each argv through the bundle in this process, then writes a cache of everything compiled
 * on the way. The bundle exports `done`, its run's promise. Every run must fail before reaching
 * a daemon (the caller points BERTH_HOST at nothing): it runs for its parsing, command
 * definitions and error paths. Returns false when the bundle has no build token to name.
 */
export async function trainCodeCache(bundlePath: string, cachePath: string, runs: readonly (readonly string[])[]): Promise<boolean> {
  const loaded = loadBundle(bundlePath, '');
  if (loaded.token === undefined) return false;
  const argv0 = process.argv[0] ?? process.execPath;
  for (const argv of runs) {
    process.argv = [argv0, bundlePath, ...argv];
    await (loaded.run().done as Promise<void> | undefined);
  }
  process.exitCode = 0;
  writeFileSync(cachePath, encodeCodeCache(loaded.token, loaded.script.createCachedData()));
  return true;
}
