import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError, UnavailableError } from '../../core/errors.js';
import { OciRuntime } from './oci-runtime.js';

export const KNOWN_RUNTIMES: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/bin/runc' };

/**
 * Why a runtime cannot run containers on this host, or undefined when it can. crun 1.8 refuses
 * to run at all on a hybrid cgroup host whose cgroup2 mount lists a controller ("cgroups in
 * hybrid mode not supported"), as on hosts where hugetlb has no v1 hierarchy.
 */
export async function runtimeProblem(name: string, binary: string, cgroupRoot = '/sys/fs/cgroup'): Promise<string | undefined> {
  try {
    await access(binary);
  } catch {
    return `OCI runtime ${name} is not installed at ${binary}: apt-get install ${name}`;
  }
  if (name !== 'crun') return undefined;
  const controllers = await readFile(join(cgroupRoot, 'unified', 'cgroup.controllers'), 'utf8').catch(() => '');
  if (controllers.trim() !== '') {
    return `crun cannot run containers on this host: it uses a hybrid cgroup layout and the cgroup2 hierarchy holds controllers (${controllers.trim()}) that crun refuses; boot with a pure cgroup v2 or v1 layout to use crun, or use --runtime runc`;
  }
  return undefined;
}

/** The runtimes of this daemon, each with its own state root under the exec root. */
export class RuntimeCatalog {
  private readonly problems = new Map<string, string | undefined>();
  defaultName: string;

  constructor(private readonly execRoot: string, requestedDefault: string, private readonly warn: (msg: string) => void) {
    this.defaultName = requestedDefault;
  }

  /** Checks every runtime once; a default that cannot run here falls back to one that can. */
  async init(): Promise<void> {
    for (const [name, binary] of Object.entries(KNOWN_RUNTIMES)) this.problems.set(name, await runtimeProblem(name, binary));
    if (!(this.defaultName in KNOWN_RUNTIMES)) throw new InvalidParameterError(`unknown default runtime "${this.defaultName}": use crun or runc`);
    const problem = this.problems.get(this.defaultName);
    if (problem) {
      const fallback = Object.keys(KNOWN_RUNTIMES).find((n) => !this.problems.get(n));
      if (!fallback) throw new UnavailableError(`no usable OCI runtime: ${problem}`);
      this.warn(`${problem}; using ${fallback} as the default runtime`);
      this.defaultName = fallback;
    }
  }

  warnings(): string[] {
    return [...this.problems.entries()].filter(([, p]) => p !== undefined).map(([n, p]) => `WARNING: runtime ${n}: ${p}`);
  }

  get(name: string | undefined): OciRuntime {
    const n = name && name !== '' ? name : this.defaultName;
    const binary = KNOWN_RUNTIMES[n];
    if (!binary) throw new InvalidParameterError(`unknown or invalid runtime name: ${n}`);
    const problem = this.problems.get(n);
    if (problem) throw new UnavailableError(problem);
    return new OciRuntime(n, binary, join(this.execRoot, 'runtime', n));
  }

  paths(): Record<string, string> {
    return { ...KNOWN_RUNTIMES };
  }
}
