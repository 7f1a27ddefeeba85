import type { BatchHasher } from '../../core/native-ops.js';
import { hostAddon } from './host-addon.js';

/**
 * SHA-256 on libuv's pool (native/berth-host/sha256.c), for the content store's writes: a blob's
 * bytes are hashed by one pool thread while another writes them, not on the main thread.
 */
export function poolSha256(): BatchHasher {
  const addon = hostAddon();
  const handle = addon.sha256Create();
  return {
    update: (buffers) => addon.sha256Update(handle, buffers),
    digest: () => addon.sha256Digest(handle),
  };
}
