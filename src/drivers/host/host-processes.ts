/**
 * The host's processes as /proc shows them to the daemon: its PID namespace, its cgroup
 * namespace. Callers in another PID namespace see other numbers, so every PID here is the
 * daemon's (the host's, when the daemon runs on the host).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** One line of /proc/PID/cgroup: `hierarchy-ID:controller-list:path`. */
export interface CgroupLine {
  /** 0 for the cgroup v2 (unified) hierarchy. */
  hierarchy: number;
  /** Empty for the v2 hierarchy; `name=systemd` for a named v1 hierarchy. */
  controllers: string[];
  path: string;
}

/**
 * Parses /proc/PID/cgroup of a v1, hybrid or v2 host. The path is everything after the second
 * colon: a cgroup name may itself hold colons.
 */
export function parseProcCgroup(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const id = line.slice(0, first);
    if (!/^\d+$/.test(id)) continue;
    const hierarchy = Number(id);
    const list = line.slice(first + 1, second);
    lines.push({ hierarchy, controllers: list === '' ? [] : list.split(','), path: line.slice(second + 1) });
  }
  return lines;
}

/** What ps needs of one process, plus where it lives. */
export interface HostProcess {
  pid: number;
  /** Effective UID, as ps's USER column shows it. */
  uid: number;
  /** The argument vector joined by spaces; `[comm]` for a kernel thread, as ps prints it. */
  command: string;
  cgroups: CgroupLine[];
  /** The inode of its PID namespace (`pid:[…]`), undefined when /proc hides it from us. */
  pidNamespace: string | undefined;
}

/** PIDs of every process now running, ascending. */
export async function listPids(): Promise<number[]> {
  const names = await readdir('/proc');
  return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/** The process `pid`, or undefined when it does not exist (or ended while being read). */
export async function readHostProcess(pid: number): Promise<HostProcess | undefined> {
  const dir = `/proc/${pid}`;
  try {
    const [status, cmdline, cgroup] = await Promise.all([readFile(`${dir}/status`, 'utf8'), readFile(`${dir}/cmdline`), readFile(`${dir}/cgroup`, 'utf8')]);
    const uid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const args = cmdline.toString('utf8').replace(/\0+$/, '').split('\0').join(' ');
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '';
    return { pid, uid, command: args === '' ? `[${name}]` : args, cgroups: parseProcCgroup(cgroup), pidNamespace: await pidNamespaceOf(pid) };
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** `pid:[4026531836]` of process `pid` (`self` for the daemon's own), undefined when unreadable. */
export async function pidNamespaceOf(pid: number | 'self'): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** User names by UID from /etc/passwd; ps prints the number for a UID without one. */
export async function userNames(): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
  }
  return names;
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  // ESRCH: the process exited between opening its directory and reading a file in it.
  return code === 'ENOENT' || code === 'ESRCH';
}
