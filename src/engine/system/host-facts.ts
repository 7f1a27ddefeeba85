import { readFile, stat } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { errnoCode } from '../../core/errors.js';
import { detectHostLimits, type HostLimits } from '../containers/limits/host-limits.js';

export type CgroupLayout = 'v1' | 'v2' | 'hybrid' | 'none';

/** Reads how the host mounts cgroups: pure v2, v1 only, or v1 controllers plus a cgroup2 mount. */
export async function detectCgroupLayout(mountinfoPath = '/proc/self/mountinfo'): Promise<CgroupLayout> {
  const text = await readFile(mountinfoPath, 'utf8');
  let v1 = false;
  let v2Root = false;
  let v2Other = false;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    const mountPoint = line.split(' ')[4];
    if (fstype === 'cgroup') v1 = true;
    if (fstype === 'cgroup2') {
      if (mountPoint === '/sys/fs/cgroup') v2Root = true;
      else v2Other = true;
    }
  }
  if (v2Root) return 'v2';
  if (v1 && v2Other) return 'hybrid';
  if (v1) return 'v1';
  return 'none';
}

export async function osPrettyName(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** What the daemon knows of its host, found once at start and handed to the services (no module caches). */
export interface HostFacts {
  kernel: string;
  os: string;
  hostname: string;
  ncpu: number;
  memTotal: number;
  cgroupLayout: CgroupLayout;
  /** The cgroup support and driver, and the security facts, containers are made with. */
  limits: HostLimits;
}

export async function readHostFacts(): Promise<HostFacts> {
  const limits = await detectHostLimits();
  return {
    kernel: release(),
    os: await osPrettyName(),
    hostname: hostname(),
    ncpu: cpus().length,
    memTotal: totalmem(),
    // The cgroup driver's choice of version decides v2; the mount table tells v1 from hybrid.
    cgroupLayout: limits.cgroups.version === 2 ? 'v2' : await detectCgroupLayout(),
    limits,
  };
}
