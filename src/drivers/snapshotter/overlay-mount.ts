import { existsSync } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SystemError, errorMessage } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { mountSyscall, unmountIfMounted } from '../mounts/mount-syscalls.js';
import { opaqueXattr, overlayUsesUserXattrs } from '../fs-tree/read-xattrs.js';

/**
 * mount(2) takes its option string in one page. Absolute paths fit for dozens of layers, and
 * berthd mounts with the syscall itself. With more, they would not fit: callers pass paths
 * relative to `cwd` (short links such as `l/abc123`), and then mount(8) runs in `cwd`, since the
 * kernel resolves relative overlay paths against the caller's working directory (berthd's
 * threads share one, which they must not change).
 */
const MOUNT_OPTIONS_MAX = 4095;

export interface OverlayMountSpec {
  /** Directory that the relative paths below are resolved from. */
  cwd: string;
  /** Lower directories, topmost first; never empty (overlay needs one). */
  lower: readonly string[];
  upper: string;
  work: string;
  /** Absolute mount point. */
  target: string;
}

/**
 * index=off: several rootfs share lower layers, which the inodes index would refuse (docker does
 * the same). redirect_dir=off: a renamed directory is copied up whole, so the upper dir stays a
 * plain docker-style diff for commit. Both only where this kernel knows them.
 */
function extraOptions(): string[] {
  const params = '/sys/module/overlay/parameters';
  const out: string[] = [];
  if (existsSync(`${params}/index`)) out.push('index=off');
  // userxattr refuses redirect_dir=off (which still follows redirects): nofollow neither makes nor follows them.
  if (overlayUsesUserXattrs()) out.push('userxattr', 'redirect_dir=nofollow');
  else if (existsSync(`${params}/redirect_dir`)) out.push('redirect_dir=off');
  return out;
}

function optionString(lower: readonly string[], upper: string, work: string): string {
  return [`lowerdir=${lower.join(':')}`, `upperdir=${upper}`, `workdir=${work}`, ...extraOptions()].join(',');
}

function fitsOnePage(options: string): boolean {
  return Buffer.byteLength(options) <= MOUNT_OPTIONS_MAX;
}

export async function mountOverlay(spec: OverlayMountSpec): Promise<void> {
  if (spec.lower.length === 0) throw new SystemError('cannot mount overlay: no lower directory');
  const at = (path: string): string => resolve(spec.cwd, path);
  const absolute = optionString(spec.lower.map(at), at(spec.upper), at(spec.work));
  // mount(2) splits the options at ',' and lower dirs at ':': a root holding either needs the
  // relative paths too.
  if (fitsOnePage(absolute) && !/[,:\\]/.test(resolve(spec.cwd))) {
    await mountSyscall('overlay', spec.target, 'overlay', 0, absolute).catch((err: unknown) => {
      throw new SystemError(`cannot mount overlay on ${spec.target}: ${errorMessage(err)}`, { cause: err });
    });
    return;
  }
  const relative = optionString(spec.lower, spec.upper, spec.work);
  if (!fitsOnePage(relative)) {
    throw new SystemError(`cannot mount overlay on ${spec.target}: ${spec.lower.length} layers exceed the mount options limit of one page`);
  }
  await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', relative, spec.target], { cwd: spec.cwd });
}

/**
 * Checks, with a real mount in `dir` (created and removed here), that overlay works on the
 * filesystem holding `dir`, including the whiteout devices and trusted xattrs that layers need.
 * Returns null when it does, or why it does not.
 */
export async function probeOverlay(dir: string): Promise<string | null> {
  const merged = join(dir, 'merged');
  try {
    await unmountIfMounted(merged); // a probe of a crashed run
    await rm(dir, { recursive: true, force: true });
    for (const sub of ['bottom/opaque', 'top', 'upper/opaque', 'work', 'merged']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, 'bottom/gone'), '');
    await writeFile(join(dir, 'bottom/opaque/hidden'), '');
    await runCommand('mknod', [join(dir, 'top/gone'), 'c', '0', '0']);
    await runCommand('setfattr', ['-n', opaqueXattr(), '-v', 'y', join(dir, 'upper/opaque')]);
    await mountOverlay({ cwd: dir, lower: ['top', 'bottom'], upper: 'upper', work: 'work', target: merged });
    await writeFile(join(merged, 'written'), 'probe');
    await access(join(dir, 'upper/written'));
    if (existsSync(join(merged, 'gone'))) return 'overlay does not honour whiteout devices here';
    if (existsSync(join(merged, 'opaque/hidden'))) return `overlay does not honour ${opaqueXattr()} here`;
    return null;
  } catch (err) {
    return errorMessage(err);
  } finally {
    await unmountIfMounted(merged).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
