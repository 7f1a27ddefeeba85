import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * build/Release/<name>, what node-gyp builds at the repository root (the monitor, the mount
 * addon). The root is what precedes dist/, whether this module runs unbundled from dist/src/core/
 * or inside the daemon's bundle in dist/src/bin/.
 */
export function nativeArtifactPath(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return join(here.slice(0, here.lastIndexOf('/dist/')), 'build/Release', name);
}
