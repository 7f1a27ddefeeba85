import { runCommand } from '../../core/run-command.js';
import { isMountPoint } from '../snapshotter/mountinfo.js';
import { unmountIfMounted } from './mount-syscalls.js';

/**
 * The kernel side of a tmpfs volume (`volume create -o type=tmpfs`): mounted on the volume's
 * `_data` at its first use, unmounted when the volume is removed. Its content lives as long as
 * the mount (a host reboot empties it, as with docker).
 */
export async function ensureTmpfsMounted(target: string, options: string): Promise<void> {
  if (await isMountPoint(target)) return;
  await runCommand('mount', ['-t', 'tmpfs', ...(options ? ['-o', options] : []), 'tmpfs', target]);
}

export async function unmountTmpfs(target: string): Promise<void> {
  await unmountIfMounted(target);
}
