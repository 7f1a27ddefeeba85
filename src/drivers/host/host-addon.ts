/**
 * Berth's N-API addon (native/berth-host): mount(2), umount2(2) and malloc_trim(3), which Node
 * does not offer. Loaded on first use; node-gyp builds it beside the monitor.
 */
import { createRequire } from 'node:module';
import { SystemError } from '../../core/errors.js';
import { nativeArtifactPath } from '../../core/native-artifacts.js';

export interface HostAddon {
  /** Rejects with the kernel's error: `code` is its name (EINVAL…), `message` its text. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
  /** malloc_trim(0): true when memory went back to the kernel. */
  trim(): boolean;
}

let addon: HostAddon | undefined;

export function hostAddon(): HostAddon {
  if (addon) return addon;
  const path = nativeArtifactPath('berth_host.node');
  try {
    addon = createRequire(import.meta.url)(path) as HostAddon;
  } catch (err) {
    throw new SystemError(`Berth's native addon ${path} cannot be loaded: build it with npm run build (scripts/install.sh does)`, { cause: err });
  }
  return addon;
}
