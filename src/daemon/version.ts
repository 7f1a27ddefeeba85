import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Berth's version, from package.json beside dist/ (what the CRI's Version reports). */
function readVersion(): string {
  const here = fileURLToPath(import.meta.url);
  try {
    const pkg = JSON.parse(readFileSync(join(here.slice(0, here.lastIndexOf('/dist/')), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const BERTH_VERSION = readVersion();
