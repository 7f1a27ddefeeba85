import { mkdir, readdir, stat } from 'node:fs/promises';
import { InvalidParameterError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
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
  // docker's CopyImagePathContent: the destination resolved inside the rootfs (symlinks of the
  // image followed there, never to the host's files), and copied when it is a directory.
  const from = await resolveInRoot(rootfs, destination);
  if (from === rootfs) return;
  const st = await stat(from).catch(() => undefined);
  if (!st?.isDirectory()) return;
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
