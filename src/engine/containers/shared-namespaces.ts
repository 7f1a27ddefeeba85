import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidParameterError } from '../../core/errors.js';
import { removeTree } from '../../core/native-ops.js';
import { ensureTmpfsMounted, unmountTmpfs } from '../../drivers/mounts/tmpfs-mount.js';
import type { NamespaceMode } from '../../oci/runtime/container-spec-input.js';
import { DEFAULT_SHM_SIZE } from '../../oci/runtime/default-spec.js';
import type { Mount } from '../../oci/runtime/runtime-spec-types.js';
import type { ContainerRecord } from './container-types.js';

/**
 * `--pid container:X` and `--ipc container:X` (compose's `pid:`/`ipc: service:X`): the container
 * joins X's namespace, as dockerd does (daemon/oci_linux.go, container_operations_unix.go). An
 * IPC namespace goes with a /dev/shm: a `--ipc shareable` container's is a tmpfs on the host,
 * bind-mounted into it and into the containers that join it (a mount of another container's
 * mount namespace cannot be bound: the kernel refuses, EINVAL).
 */

const PREFIX = 'container:';
type Find = (ref: string) => ContainerRecord | undefined;
interface SharedModes {
  IpcMode: string;
  PidMode: string;
}

/** The donor a mode names, or undefined for the other modes; `container:` alone is invalid. */
function donorRef(mode: string, what: 'IPC' | 'PID'): string | undefined {
  if (!mode.startsWith(PREFIX)) return undefined;
  const ref = mode.slice(PREFIX.length);
  if (ref === '') throw new InvalidParameterError(`invalid ${what} mode: ${mode}`);
  return ref;
}

/**
 * At create, as dockerd (generateSecurityOpt, adaptSharedNamespaceContainer): a donor must
 * exist (400 otherwise), and the mode keeps its ID, so renaming the donor keeps the sharing.
 */
export function adaptSharedNamespaces(hc: SharedModes, find: Find): void {
  for (const [key, what] of [['IpcMode', 'IPC'], ['PidMode', 'PID']] as const) {
    const ref = donorRef(hc[key], what);
    if (ref === undefined) continue;
    const donor = find(ref);
    if (!donor) throw new InvalidParameterError(`No such container: ${ref}`);
    hc[key] = `${PREFIX}${donor.Id}`;
  }
}

/** Where a shareable container's /dev/shm is mounted: outside its run dir, which each start empties. */
export function shmPath(execRoot: string, id: string): string {
  return join(execRoot, 'shm', id);
}

export interface JoinedNamespaces {
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  /** The /dev/shm from the host: the container's own when shareable, else its donor's. */
  shm?: Mount;
}

function runningDonor(ref: string, what: 'IPC' | 'PID', find: Find): ContainerRecord {
  const donor = find(ref);
  if (!donor) throw new InvalidParameterError(`failed to join ${what} namespace: No such container: ${ref}`);
  if (donor.State.Restarting) throw new ConflictError(`failed to join ${what} namespace: Container ${donor.Id} is restarting, wait until the container is running`);
  if (!donor.State.Running || donor.State.Pid <= 0) throw new ConflictError(`failed to join ${what} namespace: Container ${donor.Id} is not running`);
  return donor;
}

const shmBind = (source: string): Mount => ({ destination: '/dev/shm', type: 'bind', source, options: ['rbind', 'rprivate'] });

/** The IPC side: a shareable container's own tmpfs (mounted here), or the donor's namespace and /dev/shm. */
async function ipcFor(r: ContainerRecord, find: Find, execRoot: string): Promise<Pick<JoinedNamespaces, 'ipc' | 'shm'>> {
  const mode = r.HostConfig.IpcMode;
  if (mode === 'shareable') {
    const path = shmPath(execRoot, r.Id);
    await mkdir(path, { recursive: true, mode: 0o700 });
    const size = typeof r.HostConfig.ShmSize === 'number' && r.HostConfig.ShmSize > 0 ? r.HostConfig.ShmSize : DEFAULT_SHM_SIZE;
    await ensureTmpfsMounted(path, `nosuid,nodev,noexec,mode=1777,size=${size}`);
    return { shm: shmBind(path) };
  }
  const ref = donorRef(mode, 'IPC');
  if (ref === undefined) return {};
  const donor = runningDonor(ref, 'IPC', find);
  // A donor that joined another shares that one's /dev/shm, as dockerd copies its ShmPath.
  let owner: ContainerRecord | undefined = donor;
  for (let hops = 0; owner && owner.HostConfig.IpcMode.startsWith(PREFIX) && hops < 8; hops++) owner = find(owner.HostConfig.IpcMode.slice(PREFIX.length));
  if (owner?.HostConfig.IpcMode === 'host') return { ipc: 'host' };
  if (owner?.HostConfig.IpcMode !== 'shareable') {
    throw new InvalidParameterError(`failed to join IPC namespace: container ${ref}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
  }
  return { ipc: { path: `/proc/${donor.State.Pid}/ns/ipc` }, shm: shmBind(shmPath(execRoot, owner.Id)) };
}

/** At start: the namespaces to join, those of the donors as they run now (their PIDs change with each start). */
export async function sharedNamespaces(r: ContainerRecord, find: Find, execRoot: string): Promise<JoinedNamespaces> {
  const out: JoinedNamespaces = {};
  const pidRef = donorRef(r.HostConfig.PidMode, 'PID');
  if (pidRef !== undefined) {
    const donor = runningDonor(pidRef, 'PID', find);
    out.pid = donor.HostConfig.PidMode === 'host' ? 'host' : { path: `/proc/${donor.State.Pid}/ns/pid` };
  }
  return { ...out, ...(await ipcFor(r, find, execRoot)) };
}

/** When the container stops, as dockerd unmounts a shareable container's shm: its content goes. */
export async function releaseShm(execRoot: string, id: string): Promise<void> {
  await unmountTmpfs(shmPath(execRoot, id));
}

/** When the container is removed. */
export async function removeShm(execRoot: string, id: string): Promise<void> {
  await releaseShm(execRoot, id);
  await removeTree(shmPath(execRoot, id));
}
