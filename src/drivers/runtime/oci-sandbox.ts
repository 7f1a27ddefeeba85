/**
 * A sandbox (a pod's namespaces) as the runtime's own container: berth-pause, a static binary
 * that only waits, runs in new network, IPC, UTS, PID and mount namespaces (the network one may
 * be a namespace the network driver made), under its monitor like any container, so it too
 * outlives the daemon. Containers join its namespaces by path (`/proc/<pid>/ns/…`), as
 * containerd's CRI plugin does with its pause container, and share its /dev/shm: a tmpfs on the
 * host bound into each of them, because POSIX shared memory lives in a file system, not in the
 * IPC namespace.
 *
 * Layout of the sandbox's directory: config.json, rootfs/ (pause alone), shm/ (the tmpfs),
 * monitor/ (the pause process's monitor state).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDerivedFile } from '../../core/atomic-write.js';
import { nativeArtifactPath } from '../../core/native-artifacts.js';
import { DEFAULT_SHM_SIZE } from '../../oci/runtime/default-spec.js';
import { OCI_RUNTIME_SPEC_VERSION, type LinuxNamespace, type NamespaceType, type RuntimeSpec } from '../../oci/runtime/runtime-spec-types.js';
import { ensureTmpfsMounted, unmountTmpfs } from '../mounts/tmpfs-mount.js';
import type { CreateOptions, ProcessHandle, Sandbox, SandboxOptions } from './container-runtime.js';

/** What a sandbox needs of its runtime: the container calls, nothing of the monitor. */
export interface SandboxRuntime {
  create(id: string, bundle: string, opts: CreateOptions): Promise<ProcessHandle>;
  restore(id: string, bundle: string): Promise<ProcessHandle | undefined>;
  delete(id: string): Promise<void>;
}

/** How long the pause process gets to end on SIGTERM before SIGKILL (it exits at once). */
const STOP_MS = 5000;

/** The berth-pause executable node-gyp builds (native/berth-pause). */
export function pauseBinaryPath(): string {
  return nativeArtifactPath('berth-pause');
}

function pauseSpec(opts: SandboxOptions): RuntimeSpec {
  const namespaces: LinuxNamespace[] = [{ type: 'pid' }, opts.hostIpc ? { type: 'ipc', path: opts.hostIpc } : { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, opts.netns ? { type: 'network', path: opts.netns } : { type: 'network' }];
  return {
    ociVersion: OCI_RUNTIME_SPEC_VERSION,
    // No capability and no new privilege: the pause process only waits for a signal.
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/pause'], env: [], cwd: '/', noNewPrivileges: true, capabilities: { bounding: [], effective: [], permitted: [] } },
    root: { path: 'rootfs', readonly: true },
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
    // runc's init reads /proc/self/fd before it executes the process.
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'mode=755', 'size=64k'] },
    ],
    linux: { cgroupsPath: opts.cgroupsPath, namespaces },
  };
}

class OciSandbox implements Sandbox {
  readonly namespaces: Sandbox['namespaces'];
  readonly shm: string;

  constructor(readonly id: string, readonly pid: number, dir: string, sharePid: boolean, hostIpc: boolean) {
    const ns = (name: string): string => `/proc/${pid}/ns/${name}`;
    this.namespaces = { network: ns('net'), ipc: ns('ipc'), uts: ns('uts'), ...(sharePid ? { pid: ns('pid') } : {}) };
    // The host's IPC namespace goes with the host's POSIX shared memory.
    this.shm = hostIpc ? '/dev/shm' : join(dir, 'shm');
  }

  join(spec: RuntimeSpec): RuntimeSpec {
    const joined: Partial<Record<NamespaceType, string>> = { network: this.namespaces.network, ipc: this.namespaces.ipc, uts: this.namespaces.uts };
    if (this.namespaces.pid) joined.pid = this.namespaces.pid;
    const own = spec.linux.namespaces.filter((n) => joined[n.type] === undefined);
    spec.linux.namespaces = [...own, ...Object.entries(joined).map(([type, path]) => ({ type: type as NamespaceType, path }))];
    // The host name is the sandbox's: a member setting its own would rename every member's.
    delete spec.hostname;
    delete spec.domainname;
    const shm = { destination: '/dev/shm', type: 'bind', source: this.shm, options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'] };
    spec.mounts = [...spec.mounts.filter((m) => m.destination !== '/dev/shm'), shm];
    return spec;
  }
}

export async function createOciSandbox(runtime: SandboxRuntime, id: string, dir: string, opts: SandboxOptions, pauseBinary = pauseBinaryPath()): Promise<Sandbox> {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['dev', 'proc']) await mkdir(join(rootfs, d), { recursive: true, mode: 0o755 });
  await copyFile(pauseBinary, join(rootfs, 'pause'));
  const shm = join(dir, 'shm');
  await mkdir(shm, { recursive: true, mode: 0o700 });
  try {
    await ensureTmpfsMounted(shm, `nosuid,nodev,noexec,mode=1777,size=${opts.shmSize ?? DEFAULT_SHM_SIZE}`);
    await writeDerivedFile(join(dir, 'config.json'), JSON.stringify(pauseSpec(opts)));
    const handle = await runtime.create(id, dir, { tty: false, stdin: false, stdinOnce: false, startNow: true });
    return new OciSandbox(id, handle.pid, dir, opts.sharePid === true, opts.hostIpc !== undefined);
  } catch (err) {
    await unmountTmpfs(shm).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

export async function restoreOciSandbox(runtime: SandboxRuntime, id: string, dir: string, opts: Pick<SandboxOptions, 'sharePid' | 'hostIpc'>): Promise<Sandbox | undefined> {
  const handle = await runtime.restore(id, dir);
  if (!handle || !(await handle.alive()) || (await handle.exited())) return undefined;
  return new OciSandbox(id, handle.pid, dir, opts.sharePid === true, opts.hostIpc !== undefined);
}

export async function removeOciSandbox(runtime: SandboxRuntime, id: string, dir: string): Promise<void> {
  const handle = await runtime.restore(id, dir);
  if (handle && (await handle.alive())) {
    await handle.signal('TERM');
    const timeout = AbortSignal.timeout(STOP_MS);
    await handle.wait(timeout).catch(async () => {
      await handle.signal('KILL', true);
      await handle.wait().catch(() => undefined);
    });
  }
  await runtime.delete(id);
  await unmountTmpfs(join(dir, 'shm'));
  await rm(dir, { recursive: true, force: true });
}
