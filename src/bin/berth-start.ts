#!/usr/bin/env node
/**
 * What bin/berth starts: the CLI bundle (berth.bundle.cjs) with the code cache the build made
 * for its command, or for them all (cli-code-cache.ts says why). The bundle sees the process as
 * if Node had started it. With BERTH_CODE_CACHE_TRAIN (a JSON list of argv lists,
 * scripts/bundle.mjs) it instead runs those commands and writes the cache named by
 * BERTH_CODE_CACHE_FILE (the general one without).
 */
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { cachesFor, loadBundle, trainCodeCache } from './cli-code-cache.js';

const dir = import.meta.dirname;
const bundle = join(dir, 'berth.bundle.cjs');
const training = process.env.BERTH_CODE_CACHE_TRAIN;
if (training !== undefined) {
  const file = basename(process.env.BERTH_CODE_CACHE_FILE ?? 'berth.bundle.codecache');
  delete process.env.BERTH_CODE_CACHE_TRAIN;
  delete process.env.BERTH_CODE_CACHE_FILE;
  void trainCodeCache(bundle, join(dir, file), JSON.parse(training) as string[][]).then((made) => {
    if (!made) process.exitCode = 2;
  });
} else {
  const caches = cachesFor(dir, process.argv.slice(2));
  process.argv[1] = bundle;
  const loaded = loadBundle(bundle, caches, true);
  if (loaded) loaded.run();
  else createRequire(import.meta.filename)(bundle);
}
