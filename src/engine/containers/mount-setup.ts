import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { InvalidParameterError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import type { Mount } from '../../oci/runtime/runtime-spec-types.js';
import type { MountPoint } from './mount-plan.js';

/**
 * What start does for a container's mounts before the spec is built: make missing `-v` host
 * directories (as docker does), and fill new volumes from the image (docker's copy-up, once).
 */
export async function prepareMounts(mounts: MountPoint[], rootfs: string): Promise<void> {
  for (const m of mounts) {
    if (m.Type === 'bind') {
      const st = await stat(m.Source).catch(() => undefined);
      if (!st) {
        if (!m.CreateSource) throw new InvalidParameterError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        await mkdir(m.Source, { recursive: true, mode: 0o755 });
      }
    } else if (m.Type === 'volume' && m.CopyUp) {
      await copyUp(rootfs, m.Destination, m.Source);
      m.CopyUp = false;
    }
  }
}

async function copyUp(rootfs: string, destination: string, volumeData: string): Promise<void> {
  if ((await readdir(volumeData).catch(() => ['?'])).length > 0) return;
  // Resolve inside the rootfs only: a symlink in the image must not make us copy host files.
  const from = await realpath(join(rootfs, destination)).catch(() => undefined);
  if (!from) return;
  const root = await realpath(rootfs);
  const rel = relative(root, from);
  if (rel.startsWith('..') || (await stat(from)).isDirectory() === false) return;
  await runCommand('cp', ['-a', '--', `${from}/.`, `${volumeData}/`]);
}

/** The OCI form: binds and volumes are rbind (ro when read-only: the runtime remounts), tmpfs is tmpfs. */
export function ociMounts(mounts: readonly MountPoint[]): Mount[] {
  return mounts.map((m) => {
    if (m.Type === 'tmpfs') return { destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: [...(m.TmpfsOptions ?? [])] };
    const options = ['rbind', m.Propagation || 'rprivate'];
    if (!m.RW) options.push('ro');
    return { destination: m.Destination, type: 'bind', source: m.Source, options };
  });
}
