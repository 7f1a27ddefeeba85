import { readFile } from 'node:fs/promises';

/**
 * A running container's filesystem seen through `/proc/<pid>/root`: the rootfs with the
 * container's own mounts on it (the generated /etc files today, volumes later), as its
 * processes and docker's archive API see it.
 *
 * Confinement there cannot be a path prefix (every path is below `/proc/<pid>/root`); it is the
 * mount a file lies on. Mount IDs are numbered across all namespaces, so a file reached through a
 * symlink swapped in mid-walk, which the kernel resolves against the daemon's own `/`, lies on
 * a host mount that is not one of the container's.
 */
export interface LiveMounts {
  /** Every mount of the container's mount namespace. */
  ids: ReadonlySet<number>;
  /**
   * Host paths (below the live root) of the runtime's kernel filesystems: /proc, /sys, /dev and
   * what is mounted inside them. docker's archive view has the image's directories there, not
   * their live contents, and walking them would archive procfs and sysfs.
   */
  pruned: ReadonlySet<string>;
}

const KERNEL_FS = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue']);

/** Reads the mount table of `pid`; `root` is its `/proc/<pid>/root`. */
export async function liveMountsOf(pid: number, root: string): Promise<LiveMounts> {
  const ids = new Set<number>();
  const pruned = new Set<string>();
  for (const line of (await readFile(`/proc/${pid}/mountinfo`, 'utf8')).split('\n')) {
    // "<id> <parent> <major:minor> <root> <mount point> <options> [optional…] - <fstype> …"
    const fields = line.split(' ');
    const mountPoint = unescapeMountinfo(fields[4] ?? '');
    const fsType = fields[fields.indexOf('-') + 1] ?? '';
    if (fields.length < 5) continue;
    ids.add(Number(fields[0]));
    if (KERNEL_FS.has(fsType) || mountPoint === '/dev') pruned.add(`${root}${mountPoint}`);
  }
  return { ids, pruned };
}

/** mountinfo writes space, tab, newline and backslash in paths as `\ooo`. */
function unescapeMountinfo(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The mount an open file lies on (`mnt_id` in /proc/self/fdinfo), undefined if the kernel does not say. */
export async function mountIdOfFd(fd: number): Promise<number | undefined> {
  const m = /^mnt_id:\s*(\d+)$/m.exec(await readFile(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m ? Number(m[1]) : undefined;
}
