/**
 * The container's mount list, merged as moby's WithMounts does: default filesystems first,
 * minus any the user replaces, then the user's mounts sorted parents-first.
 */
import type { Mount } from './runtime-spec-types.js';

/** The destinations a read-only rootfs leaves writable: they are per-container filesystems. */
const KEEP_WRITABLE_WITH_READONLY_ROOTFS: ReadonlySet<string> = new Set([
  '/proc',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev',
]);

export interface MountMergeOptions {
  /** The default filesystems (default-spec.ts) and the --init bind, in order. */
  defaults: readonly Mount[];
  /** Everything the user or the engine asked for (binds, volumes, tmpfs, /etc files). */
  user: readonly Mount[];
  shmSize: number;
  /** `--ipc none`: no /dev/shm at all. */
  noShm: boolean;
  readonlyRootfs: boolean;
  privileged: boolean;
  /** The cgroup filesystem cannot be remounted read-only inside a user namespace. */
  userNamespace: boolean;
}

/** Path depth of a destination, so a mount on /a/b comes after the one on /a. */
function depth(destination: string): number {
  return destination.split('/').filter((p) => p !== '' && p !== '.').length;
}

function withoutRo(m: Mount): Mount {
  return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') };
}

export function mergeMounts(opts: MountMergeOptions): Mount[] {
  const userDest = new Set(opts.user.map((m) => m.destination));
  const userMountsDev = userDest.has('/dev');

  const defaults: Mount[] = [];
  for (const m of opts.defaults) {
    if (userDest.has(m.destination)) continue;
    // A user /dev hides every default filesystem below it.
    if (userMountsDev && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (opts.noShm) continue;
      defaults.push({ ...m, options: [...(m.options ?? []), `size=${opts.shmSize}`] });
      continue;
    }
    defaults.push({ ...m, options: [...(m.options ?? [])] });
  }

  // Stable sort: mounts at one depth keep the order they were given in.
  const user = [...opts.user]
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map(({ m }) => ({ ...m, ...(m.options ? { options: [...m.options] } : {}) }));

  let mounts = [...defaults, ...user];

  if (opts.readonlyRootfs) {
    mounts = mounts.map((m) => {
      if (KEEP_WRITABLE_WITH_READONLY_ROOTFS.has(m.destination) || userDest.has(m.destination)) return m;
      const options = m.options ?? [];
      return options.includes('ro') ? m : { ...m, options: [...options, 'ro'] };
    });
  }
  if (opts.privileged) {
    mounts = mounts.map((m) => (m.destination === '/sys' ? withoutRo(m) : m));
  }
  if (opts.privileged || opts.userNamespace) {
    mounts = mounts.map((m) => (m.type === 'cgroup' ? withoutRo(m) : m));
  }
  return mounts;
}

/** A bind mount of a host file the engine generated (hosts, resolv.conf, hostname). */
function fileBind(source: string, destination: string, readonly: boolean): Mount {
  return { destination, type: 'bind', source, options: readonly ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'] };
}

export interface NetworkFiles {
  resolvConf?: string;
  hostnameFile?: string;
  hostsFile?: string;
}

/**
 * The /etc/resolv.conf, /etc/hostname and /etc/hosts binds, in docker's order. Each is
 * read-only when the rootfs is, and skipped when the user mounts something there.
 */
export function networkFileMounts(
  files: NetworkFiles,
  readonlyRootfs: boolean,
  userDest: ReadonlySet<string>,
): Mount[] {
  const wanted: [string | undefined, string][] = [
    [files.resolvConf, '/etc/resolv.conf'],
    [files.hostnameFile, '/etc/hostname'],
    [files.hostsFile, '/etc/hosts'],
  ];
  return wanted
    .filter((w): w is [string, string] => w[0] !== undefined && !userDest.has(w[1]))
    .map(([source, dest]) => fileBind(source, dest, readonlyRootfs));
}

/** `--ipc host` shares the host's /dev/shm as well as its IPC namespace. */
export function hostShmMount(): Mount {
  return { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] };
}
