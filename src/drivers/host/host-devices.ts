/**
 * Device nodes of the host, for `--device` and `--privileged` (moby's pkg/devices): each
 * becomes a node the runtime creates in the container's /dev plus a devices-cgroup rule.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, InvalidParameterError } from '../../core/errors.js';
import type { LinuxDevice } from '../../oci/runtime/runtime-spec-types.js';

/** Directories of /dev docker leaves out of a privileged container (they are mounted fresh). */
const SKIP_DIRS = new Set(['pts', 'shm', 'fuse', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** Linux's dev_t split (new_decode_dev). */
function majorMinor(rdev: number): { major: number; minor: number } {
  return { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00) };
}

/** The node at `path` as an OCI device, or undefined when it is not a char/block device. */
export async function deviceAt(path: string, containerPath = path): Promise<LinuxDevice | undefined> {
  const st = await lstat(path);
  const kind = st.mode & S_IFMT;
  if (kind !== S_IFCHR && kind !== S_IFBLK) return undefined;
  return { path: containerPath, type: kind === S_IFCHR ? 'c' : 'b', ...majorMinor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

async function walk(dir: string, out: LinuxDevice[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(path, out);
      continue;
    }
    if (path === '/dev/console' || (!e.isCharacterDevice() && !e.isBlockDevice())) continue;
    const dev = await deviceAt(path).catch(() => undefined);
    if (dev) out.push(dev);
  }
}

/** A block device's numbers (`--device-read-bps /dev/vda:1mb` needs them for the blkio rules). */
export async function blockDeviceNumbers(path: string): Promise<{ major: number; minor: number }> {
  const st = await lstat(path).catch(() => undefined);
  if (!st || (st.mode & S_IFMT) !== S_IFBLK) throw new InvalidParameterError(`${path} is not a block device on this host: block I/O limits need one (see lsblk)`);
  return majorMinor(st.rdev);
}

/** Every char and block device under /dev, as `--privileged` gives them. */
export async function hostDevices(root = '/dev'): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  await walk(root, out);
  return out;
}

/**
 * `--device /dev/x[:/dev/y]`: the node (or every node under a directory), with docker's
 * error when the host path does not exist.
 */
export async function devicesFor(hostPath: string, containerPath: string): Promise<LinuxDevice[]> {
  let st;
  try {
    st = await lstat(hostPath);
  } catch (err) {
    const detail = errnoCode(err) === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
    throw new InvalidParameterError(`error gathering device information while adding custom device "${hostPath}": ${detail}`);
  }
  if (st.isDirectory()) {
    const nodes = await hostDevices(hostPath);
    return nodes.map((d) => ({ ...d, path: join(containerPath, d.path.slice(hostPath.length)) }));
  }
  const dev = await deviceAt(hostPath, containerPath);
  if (!dev) throw new InvalidParameterError(`error gathering device information while adding custom device "${hostPath}": not a device node`);
  return [dev];
}
