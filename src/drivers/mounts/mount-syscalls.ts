/**
 * mount(2) and umount2(2) through Berth's addon (drivers/host/host-addon.ts), run on libuv's
 * thread pool. Node has neither call, and spawning mount(8) or umount(8) cost every container
 * start and exit several milliseconds (bench/container-run).
 */
import { SystemError, errnoCode, errorMessage } from '../../core/errors.js';
import { hostAddon } from '../host/host-addon.js';

export const MNT_DETACH = 2;
export const MS_RDONLY = 1;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;

/** mount(2). Rejects with the kernel's error: `code` is its name (EINVAL…), `message` its text. */
export async function mountSyscall(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): Promise<void> {
  await hostAddon().mount(source, target, fstype, flags, data);
}

/** umount2(2), as mountSyscall rejects. */
export async function umountSyscall(target: string, flags = 0): Promise<void> {
  await hostAddon().umount(target, flags);
}

/**
 * Unmounts `target` if it is mounted (EINVAL: it is not; ENOENT: it is gone); lazily when busy,
 * as docker does, so that removal can go on.
 */
export async function unmountIfMounted(target: string): Promise<void> {
  const fail = (err: unknown): never => {
    throw new SystemError(`cannot unmount ${target}: ${errorMessage(err)}`, { cause: err });
  };
  try {
    await umountSyscall(target);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (code !== 'EBUSY') fail(err);
    await umountSyscall(target, MNT_DETACH).catch(fail);
  }
}
