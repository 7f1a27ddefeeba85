import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok } from './expect.js';
import { run } from './test-daemon.js';

/**
 * Two machines made of network namespaces: "host", where a test daemon runs
 * (TestDaemon.startInNetns), and "outside", joined to it by a veth (`wan0`). Everything the daemon
 * and the test do to routes, sysctls, firewalls and rules stays in them; removeLab() ends both.
 */
export interface Lab {
  dir: string;
  host: string;
  outside: string;
  /** `ip` in a namespace; fails the test when it fails. */
  ip(ns: string, ...args: string[]): Promise<void>;
}

export interface LabAddresses {
  /** host/outside IPv4 with prefix on wan0, e.g. 10.250.7.1/24. */
  host4: string;
  outside4: string;
  /** IPv6 too (nodad, usable at once). */
  host6?: string;
  outside6?: string;
  /** The veth's name on both sides (default wan0). */
  link?: string;
}

async function makeNs(path: string): Promise<void> {
  await writeFile(path, '');
  ok(await run('unshare', [`--net=${path}`, 'true']), 'unshare');
}

export async function makeLab(prefix: string, a: LabAddresses): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const host = join(dir, 'host');
  const outside = join(dir, 'outside');
  const lab: Lab = { dir, host, outside, ip: async (ns, ...args) => void ok(await run('nsenter', [`--net=${ns}`, 'ip', ...args]), `ip ${args.join(' ')}`) };
  try {
    await makeNs(host);
    await makeNs(outside);
    await lab.ip(host, 'link', 'set', 'lo', 'up');
    await lab.ip(outside, 'link', 'set', 'lo', 'up');
    const link = a.link ?? 'wan0';
    // Made inside the host namespace: the veth never exists in this machine's own.
    await lab.ip(host, 'link', 'add', link, 'type', 'veth', 'peer', 'name', link, 'netns', outside);
    await lab.ip(host, 'addr', 'add', a.host4, 'dev', link);
    await lab.ip(outside, 'addr', 'add', a.outside4, 'dev', link);
    if (a.host6) await lab.ip(host, 'addr', 'add', a.host6, 'dev', link, 'nodad');
    if (a.outside6) await lab.ip(outside, 'addr', 'add', a.outside6, 'dev', link, 'nodad');
    await lab.ip(host, 'link', 'set', link, 'up');
    await lab.ip(outside, 'link', 'set', link, 'up');
  } catch (err) {
    await removeLab(lab);
    throw err;
  }
  return lab;
}

export async function removeLab(lab: Lab): Promise<void> {
  for (const ns of [lab.host, lab.outside]) await run('umount', ['-l', ns]);
  await rm(lab.dir, { recursive: true, force: true });
}
