import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError, UnavailableError } from '../../core/errors.js';
import { OciRuntime } from './oci-runtime.js';
import { SeccompBpfCache } from './seccomp-bpf-cache.js';
import { readOnlyRuntime, type ReadOnlyRuntime } from './read-only-runtime.js';
import { unmountIfMounted } from '../mounts/mount-syscalls.js';
import type { CgroupDriver } from '../cgroups/cgroup-driver.js';
import type { ContainerRuntime } from './container-runtime.js';
import { MonitoredOciRuntime } from './monitored-oci-runtime.js';

export const KNOWN_RUNTIMES: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/bin/runc' };

/** Why a runtime cannot run containers on this host, or undefined when it can. */
export async function runtimeProblem(name: string, binary: string): Promise<string | undefined> {
  try {
    await access(binary);
  } catch {
    return `OCI runtime ${name} is not installed at ${binary}: apt-get install ${name}`;
  }
  return undefined;
}

/**
 * The mount crun must not see when it creates a container, if any. crun 1.8 refuses a hybrid
 * cgroup host whose cgroup2 mount lists a controller ("cgroups in hybrid mode not supported", as
 * on hosts where hugetlb has no v1 hierarchy). Created in a mount namespace without that mount,
 * it sees a v1 host and puts the container in the v1 controllers, which is all a hybrid host
 * limits with anyway; every later call (start, kill, update, delete) reads the layout from its
 * state and works from the host's namespace.
 */
export async function mountToHideOnCreate(name: string, cgroupRoot = '/sys/fs/cgroup'): Promise<string | undefined> {
  if (name !== 'crun') return undefined;
  const unified = join(cgroupRoot, 'unified');
  const controllers = await readFile(join(unified, 'cgroup.controllers'), 'utf8').catch(() => '');
  return controllers.trim() !== '' ? unified : undefined;
}

/** The runtimes of this daemon, each with its own state root under the exec root. */
export class RuntimeCatalog {
  private readonly problems = new Map<string, string | undefined>();
  private readonly hidden = new Map<string, string | undefined>();
  private readonly readOnly = new Map<string, ReadOnlyRuntime | undefined>();
  /** crun alone takes a compiled filter (`run.oci.seccomp_bpf_data`); runc compiles each time. */
  private readonly crunSeccomp = new SeccompBpfCache();
  /** One seam per runtime name: each keeps the bundles of the containers it created or restored. */
  private readonly seams = new Map<string, MonitoredOciRuntime>();
  defaultName: string;

  /** @param cgroups reads OOM kills for the seam's exit statuses (ContainerRuntime's ExitStatus.oomKilled). */
  /** @param cgroupless containers get no cgroup (rootless without delegation): see OciRuntime.cgroupless. */
  constructor(private readonly execRoot: string, requestedDefault: string, private readonly warn: (msg: string) => void, private readonly cgroups?: Pick<CgroupDriver, 'oomKills'>, private readonly cgroupless = false) {
    this.defaultName = requestedDefault;
  }

  /** Checks every runtime once; a default that cannot run here falls back to one that can. */
  async init(): Promise<void> {
    for (const [name, binary] of Object.entries(KNOWN_RUNTIMES)) {
      const problem = await runtimeProblem(name, binary);
      this.problems.set(name, problem);
      this.hidden.set(name, await mountToHideOnCreate(name));
      if (!problem) this.readOnly.set(name, await readOnlyRuntime(binary, join(this.execRoot, 'runtime-bin'), this.warn));
    }
    if (!(this.defaultName in KNOWN_RUNTIMES)) throw new InvalidParameterError(`unknown default runtime "${this.defaultName}": use crun or runc`);
    const problem = this.problems.get(this.defaultName);
    if (problem) {
      const fallback = Object.keys(KNOWN_RUNTIMES).find((n) => !this.problems.get(n));
      if (!fallback) throw new UnavailableError(`no usable OCI runtime: ${problem}`);
      this.warn(`${problem}; using ${fallback} as the default runtime`);
      this.defaultName = fallback;
    }
  }

  /** Undoes init's read-only mounts (at daemon stop; a running container needs none of them). */
  async close(): Promise<void> {
    for (const ro of this.readOnly.values()) if (ro) await unmountIfMounted(ro.path);
    this.readOnly.clear();
  }

  warnings(): string[] {
    return [...this.problems.entries()].filter(([, p]) => p !== undefined).map(([n, p]) => `WARNING: runtime ${n}: ${p}`);
  }

  /** The OCI runtime profile (binary, root, quirks) the seam of that name is made of. */
  private profile(name: string | undefined): OciRuntime {
    const n = name && name !== '' ? name : this.defaultName;
    const binary = KNOWN_RUNTIMES[n];
    if (!binary) throw new InvalidParameterError(`unknown or invalid runtime name: ${n}`);
    const problem = this.problems.get(n);
    if (problem) throw new UnavailableError(problem);
    const ro = this.readOnly.get(n);
    const profile = new OciRuntime(n, ro?.path ?? binary, join(this.execRoot, 'runtime', n), this.hidden.get(n), n === 'crun' ? this.crunSeccomp : undefined, ro?.env);
    profile.cgroupless = this.cgroupless;
    return profile;
  }

  /** The runtime seam for a container's runtime name (the default when empty). */
  runtime(name: string | undefined): ContainerRuntime {
    const profile = this.profile(name);
    let seam = this.seams.get(profile.name);
    if (!seam) {
      seam = new MonitoredOciRuntime(profile, this.cgroups ? { cgroups: this.cgroups } : {});
      this.seams.set(profile.name, seam);
    }
    return seam;
  }

  paths(): Record<string, string> {
    return { ...KNOWN_RUNTIMES };
  }
}
