/**
 * Berth's N-API addon (native/berth-host): mount(2), umount2(2), malloc_trim(3), openat2(2),
 * mknod(2), (l)setxattr(2) and ioctl(SIOCOUTQ), which Node does not offer, and a container's
 * network namespace and veth pair over rtnetlink, which spawning unshare/ip/nsenter made cost
 * every start 13-15 ms. Loaded on first use; node-gyp builds it beside the monitor.
 */
import { createRequire } from 'node:module';
import { SystemError } from '../../core/errors.js';
import { nativeArtifactPath } from '../../core/native-artifacts.js';

/** A veth pair to make: host-links.ts's VethSpec (an empty optional string counts as absent). */
export interface VethAttachSpec {
  netns: string;
  bridge: string;
  hostName: string;
  ifName: string;
  addressCidr: string;
  gateway?: string | undefined;
  address6Cidr?: string | undefined;
  gateway6?: string | undefined;
  mac: string;
  mtu: number;
  extraAddresses?: readonly string[] | undefined;
}

/** An OpenSSL SHA-256 context held by the addon. */
export type Sha256Handle = { readonly __sha256: unique symbol };

export interface HostAddon {
  /** Rejects with the kernel's error: `code` is its name (EINVAL…), `message` its text. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
  /**
   * A new network namespace, bind-mounted on `path` (an existing file). The network calls reject
   * as mount does, with the failed step first in `message` ("adding address 10.1.0.5/24 to eth0
   * in /run/…: File exists").
   */
  netnsCreate(path: string): Promise<void>;
  /**
   * The host end `hostName` on `bridge` (hairpin on, up) and the peer born as `ifName` in
   * `netns` with the MAC, its addresses (IPv6 without duplicate detection), up with lo, and
   * the default routes. Any failure deletes the host end, and the peer with it. Malformed
   * input throws a TypeError at once.
   */
  vethAttach(spec: VethAttachSpec): Promise<void>;
  /** RTM_DELLINK by name in berthd's namespace; a link already gone rejects with ENODEV. */
  linkDelete(name: string): Promise<void>;
  /** rm -rf in one pool task: no symlink followed, no other filesystem entered; a missing path is fine. */
  removeTree(path: string): Promise<void>;
  /**
   * `data` written to `tmp` (made with `mode`, its directory too when missing), fsynced when
   * `syncFile`, renamed over `path`, the rename fsynced in its directory when `syncDir`: all on
   * one pool thread. A failure removes `tmp` and rejects with the errno as `code`.
   */
  atomicWrite(path: string, tmp: string, data: Buffer, mode: number, syncFile: boolean, syncDir: boolean): Promise<void>;
  /** Whether the running node exports OpenSSL's EVP functions (the official builds do). */
  sha256Available(): boolean;
  /** A SHA-256 whose updates run on the pool (sha256Update); throws when not sha256Available(). */
  sha256Create(): Sha256Handle;
  /** Hashes the buffers, in order, on a pool thread; one update at a time (a second throws). */
  sha256Update(handle: Sha256Handle, buffers: readonly Buffer[]): Promise<void>;
  /** The hex digest; the handle is spent after it (or after a failed update). */
  sha256Digest(handle: Sha256Handle): string;
  /** malloc_trim(0): true when memory went back to the kernel. */
  trim(): boolean;
  /** openat2(2) with O_CLOEXEC added; throws like node:fs (`code` ENOENT…, `syscall`). */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** mknod(2); `mode` carries the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2), or setxattr(2) when `follow` (for /proc/self/fd/N paths). */
  setxattr(path: string, name: string, value: Buffer, follow: boolean): void;
  /**
   * posix_spawn of `path` (no PATH search) with `argv` (argv[0] included) and `env` (`K=V`), the
   * three fds as its stdin, stdout and stderr, every signal at its default, its own session when
   * `setsid`. Throws like node:fs (`code` ENOENT…) when it cannot run. `pidfd` is -1 without pidfds.
   */
  spawn(path: string, argv: readonly string[], env: readonly string[], stdio: readonly [number, number, number], setsid: boolean): { pid: number; pidfd: number };
  /** Reaps the child when its pidfd says it exited (closing the pidfd), then calls back once. */
  watchExit(pidfd: number, callback: (code: number | null, signal: number | null) => void): void;
  /** pipe2(O_CLOEXEC): [read end, write end]. */
  pipe(): [number, number];
  /** Whether pidfd_open(2) works here (Linux 5.3 and later, unless a seccomp filter refuses it). */
  pidfdWorks(): boolean;
  /** ioctl(fd, SIOCOUTQ): bytes sent on the socket that its peer has not read yet (Unix sockets). */
  unreadSent(fd: number): number;
  readonly constants: {
    readonly O_PATH: number;
    readonly O_DIRECTORY: number;
    readonly O_NOFOLLOW: number;
    readonly RESOLVE_IN_ROOT: number;
    readonly RESOLVE_NO_MAGICLINKS: number;
    readonly RESOLVE_NO_XDEV: number;
    readonly S_IFCHR: number;
    readonly S_IFBLK: number;
    readonly S_IFIFO: number;
  };
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
