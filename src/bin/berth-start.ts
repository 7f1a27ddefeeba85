#!/usr/bin/env node
/**
 * What bin/berth starts: the CLI bundle (berth.bundle.cjs) with the code cache the build made
 * for it (cli-code-cache.ts says why). The bundle sees the process as if Node had started it.
 * With BERTH_CODE_CACHE_TRAIN (a JSON list of argv lists, scripts/bundle.mjs) it instead runs
 * those commands and writes the cache.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadBundle, trainCodeCache } from './cli-code-cache.js';

const dir = import.meta.dirname;
const bundle = join(dir, 'berth.bundle.cjs');
const cache = join(dir, 'berth.bundle.codecache');
const training = process.env.BERTH_CODE_CACHE_TRAIN;
if (training !== undefined) {
  delete process.env.BERTH_CODE_CACHE_TRAIN;
  void trainCodeCache(bundle, cache, JSON.parse(training) as string[][]).then((made) => {
    if (!made) process.exitCode = 2;
  });
} else {
  process.argv[1] = bundle;
  const loaded = loadBundle(bundle, cache, true);
  if (loaded) loaded.run();
  else createRequire(import.meta.filename)(bundle);
}
