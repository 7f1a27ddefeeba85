/**
 * "Whose process is this?": maps host processes to the containers they run in, first by cgroup
 * (every container's cgroup path ends in its ID, under its cgroup parent; see
 * containers/spec-input.ts), then, for a process moved out of that cgroup, by PID namespace
 * (shared with the container's init unless the container runs in the host's). PIDs are the
 * daemon's view of /proc.
 */
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { type CgroupLine, type HostProcess, listPids, pidNamespaceOf, readHostProcess, userNames } from '../../drivers/host/host-processes.js';
import type { ContainerRecord } from '../containers/container-types.js';

export interface ProcessContainer {
  Id: string;
  /** Without docker's leading slash. */
  Name: string;
  /** The image as the container was created from it (`docker ps`'s IMAGE). */
  Image: string;
  /** `com.docker.compose.project`, when the container has it. */
  Project?: string;
  /** `com.docker.compose.service`, when the container has it. */
  Service?: string;
}

export interface ProcessEntry {
  Pid: number;
  User: string;
  Command: string;
  /** null for a process of no container: the host's own. */
  Container: ProcessContainer | null;
}

const ID_SEGMENT = /^(?:[a-z]+-)?([0-9a-f]{64})(?:\.scope)?$/;

/**
 * The container ID a process's cgroups name: the deepest path segment that is a known
 * container's ID (plain under a cgroupfs parent, `<prefix>-<id>.scope` under systemd).
 */
export function containerOfCgroups(lines: readonly CgroupLine[], ids: ReadonlySet<string>): string | undefined {
  for (const line of lines) {
    const segments = line.path.split('/');
    for (let i = segments.length - 1; i >= 0; i--) {
      const id = ID_SEGMENT.exec(segments[i] ?? '')?.[1];
      if (id !== undefined && ids.has(id)) return id;
    }
  }
  return undefined;
}

/** Parses a `pid` query value; the API refuses anything but a positive decimal. */
export function parsePid(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < 1) throw new InvalidParameterError(`invalid PID "${value}": give a positive process ID as the host sees it`);
  return Number(value);
}

function ownerOf(record: ContainerRecord): ProcessContainer {
  const labels = record.Config.Labels ?? {};
  const project = labels['com.docker.compose.project'];
  const service = labels['com.docker.compose.service'];
  return {
    Id: record.Id,
    Name: record.Name.replace(/^\//, ''),
    Image: record.Config.Image || record.Image,
    ...(project !== undefined ? { Project: project } : {}),
    ...(service !== undefined ? { Service: service } : {}),
  };
}

export class ProcessOwners {
  constructor(private readonly containers: () => ContainerRecord[]) {}

  /** The processes `pids`, in that order, or every process when none are given. */
  async processes(pids?: readonly number[]): Promise<ProcessEntry[]> {
    const records = this.containers();
    const byId = new Map(records.map((r) => [r.Id, r]));
    const ids = new Set(byId.keys());
    const byNamespace = await this.namespaceOwners(records);
    const users = await userNames();
    const entry = (p: HostProcess): ProcessEntry => {
      const id = containerOfCgroups(p.cgroups, ids) ?? (p.pidNamespace !== undefined ? byNamespace.get(p.pidNamespace) : undefined);
      const record = id !== undefined ? byId.get(id) : undefined;
      return { Pid: p.pid, User: users.get(p.uid) ?? String(p.uid), Command: p.command, Container: record ? ownerOf(record) : null };
    };
    if (pids === undefined) {
      const all = await Promise.all((await listPids()).map((pid) => readHostProcess(pid)));
      return all.filter((p): p is HostProcess => p !== undefined).map(entry);
    }
    const out: ProcessEntry[] = [];
    for (const pid of pids) {
      const p = await readHostProcess(pid);
      if (!p) throw new NotFoundError(`no such process: ${pid} (PIDs are as the Berth daemon sees them; \`berth host-ps\` lists them)`);
      out.push(entry(p));
    }
    return out;
  }

  /** Running containers' PID namespaces, except one that is the daemon's own (`--pid host`). */
  private async namespaceOwners(records: ContainerRecord[]): Promise<Map<string, string>> {
    const own = await pidNamespaceOf('self');
    const owners = new Map<string, string>();
    for (const r of records) {
      if (!r.State.Running || r.State.Pid <= 0) continue;
      const ns = await pidNamespaceOf(r.State.Pid);
      if (ns !== undefined && ns !== own && !owners.has(ns)) owners.set(ns, r.Id);
    }
    return owners;
  }
}
