/**
 * Bridges, veth pairs and network namespaces. What every container start and exit does (its
 * namespace, its veth pair, their removal) goes over rtnetlink in Berth's addon: spawning
 * `unshare`, `ip` and `nsenter` for it cost each start 13-15 ms. The rest (bridges, route and
 * address listings, the route watch) runs rarely and stays with iproute2's `ip`, whose JSON
 * output is easier to trust than a netlink dump parser of our own.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, errorMessage, SystemError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { hostAddon } from '../host/host-addon.js';
import { MNT_DETACH, umountSyscall } from '../mounts/mount-syscalls.js';
import { watchOutput } from './watch-output.js';

export interface HostLink {
  ifname: string;
  master?: string;
  kind?: string;
}

export async function listLinks(): Promise<HostLink[]> {
  const { stdout } = await runCommand('ip', ['-j', '-d', 'link', 'show']);
  const rows = JSON.parse(stdout || '[]') as Array<{ ifname: string; master?: string; linkinfo?: { info_kind?: string } }>;
  return rows.map((r) => ({ ifname: r.ifname, ...(r.master ? { master: r.master } : {}), ...(r.linkinfo?.info_kind ? { kind: r.linkinfo.info_kind } : {}) }));
}

export async function linkExists(name: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', name], { allowFailure: true })).code === 0;
}

export interface HostRoute {
  /** A prefix (`10.8.0.0/16`; a host route as `/32`). */
  dst: string;
  /** The interface it leaves by ('' for a route without one, e.g. unreachable). */
  dev: string;
}

/** The host's IPv4 unicast routes of every table (`default` left out): subnets Berth must not take. */
export async function hostRouteTable(): Promise<HostRoute[]> {
  const { stdout } = await runCommand('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  const rows = JSON.parse(stdout || '[]') as Array<{ dst: string; dev?: string; type?: string }>;
  return rows
    .filter((r) => r.dst !== 'default' && (r.type === undefined || r.type === 'unicast') && /^\d/.test(r.dst))
    .map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, dev: r.dev ?? '' }));
}

export async function hostRoutes(): Promise<string[]> {
  return (await hostRouteTable()).map((r) => r.dst);
}

/** A link's IPv4 addresses with their prefix (`10.1.0.1/24`); none when it does not exist. */
export async function ipv4Addresses(dev: string): Promise<string[]> {
  const r = await runCommand('ip', ['-j', '-4', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.code !== 0) return [];
  const rows = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  return rows.flatMap((row) => (row.addr_info ?? []).filter((a) => a.local && a.prefixlen !== undefined).map((a) => `${a.local}/${a.prefixlen}`));
}

/** The host's IPv6 unicast routes (default and link-local left out): prefixes an IPv6 network must not take. */
export async function hostRouteTable6(): Promise<HostRoute[]> {
  const r = await runCommand('ip', ['-j', '-6', 'route', 'show', 'table', 'all'], { allowFailure: true });
  if (r.code !== 0) return [];
  const rows = JSON.parse(r.stdout || '[]') as Array<{ dst: string; dev?: string; type?: string }>;
  return rows
    .filter((x) => x.dst !== 'default' && (x.type === undefined || x.type === 'unicast') && /^[0-9a-f]*:/i.test(x.dst) && !/^fe80:/i.test(x.dst))
    .map((x) => ({ dst: x.dst.includes('/') ? x.dst : `${x.dst}/128`, dev: x.dev ?? '' }));
}

/** Interfaces whose IPv6 routes came from router advertisements (they stop coming when forwarding is on). */
export async function hostRaRoutes(): Promise<string[]> {
  const r = await runCommand('ip', ['-j', '-6', 'route', 'show', 'proto', 'ra'], { allowFailure: true });
  if (r.code !== 0) return [];
  const rows = JSON.parse(r.stdout || '[]') as Array<{ dev?: string }>;
  return [...new Set(rows.flatMap((x) => (x.dev ? [x.dev] : [])))];
}

/** A link's global IPv6 addresses with their prefix (`fd00:1::1/64`); none when it does not exist. */
export async function ipv6Addresses(dev: string): Promise<string[]> {
  const r = await runCommand('ip', ['-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'global'], { allowFailure: true });
  if (r.code !== 0) return [];
  const rows = JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  return rows.flatMap((row) => (row.addr_info ?? []).filter((a) => a.local && a.prefixlen !== undefined).map((a) => `${a.local}/${a.prefixlen}`));
}

/** Removes addresses from a link (those an earlier configuration left); a missing one is no error. */
export async function removeAddresses(dev: string, cidrs: readonly string[]): Promise<void> {
  for (const c of cidrs) await runCommand('ip', ['addr', 'del', c, 'dev', dev], { allowFailure: true });
}

/**
 * Calls `onChange` (at most every `settleMs`) while IPv4 routes come and go: a VPN coming up
 * can cover a network's subnet after it was made.
 */
export function watchRoutes(onChange: () => void, settleMs = 500): { close(): void } {
  return watchOutput('ip', ['-4', 'monitor', 'route'], onChange, settleMs);
}

/** A random locally administered unicast MAC, as docker gives its bridges. */
export function randomLocalMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** NET_ADDR_SET: the address was given, so the kernel will not swap it for a port's. */
const ADDR_ASSIGNED = '3';

/**
 * Makes (or adopts) a bridge with the gateway address; `route_localnet` lets the host's own
 * 127.0.0.1 reach published ports after DNAT (the source is masqueraded on the way out).
 * The bridge gets a MAC of its own: a bridge without one takes its lowest port's, and changes
 * it as veths come and go, which leaves every container's ARP entry for the gateway pointing
 * nowhere (DNS and the way out dead for up to half a minute).
 */
export async function ensureBridge(name: string, gatewayCidr: string | undefined, mtu: number, gateway6Cidr?: string): Promise<void> {
  if (!(await linkExists(name))) {
    const made = await runCommand('ip', ['link', 'add', 'name', name, 'mtu', String(mtu), 'address', randomLocalMac(), 'type', 'bridge'], { allowFailure: true });
    if (made.code !== 0 && !(await linkExists(name))) throw new SystemError(`cannot create bridge ${name}: ${made.stderr.trim()}`);
  }
  const batch = [
    `link set dev ${name} mtu ${mtu}`,
    ...(await pinMac(name)),
    ...(gatewayCidr ? [`addr replace ${gatewayCidr} dev ${name}`] : []),
    `link set dev ${name} up`,
  ];
  // An IPv6 gateway: the bridge's IPv6 must be on (a host may default it off), and `nodad`
  // makes the address usable at once instead of after a second of duplicate detection. As
  // dockerd, the bridge is also fe80::1, a link-local gateway that survives renumbering.
  if (gateway6Cidr) await writeFile(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '0').catch(() => undefined);
  if (gateway6Cidr) batch.push(`addr replace ${gateway6Cidr} dev ${name} nodad`, `addr replace fe80::1/64 dev ${name} nodad`);
  await runCommand('ip', ['-batch', '-'], { input: batch.join('\n') + '\n' });
  await writeFile(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1').catch(() => undefined);
  // Forwarding for what enters by this bridge (containers' traffic out), even when the host's
  // global ip_forward is left alone (--ip-forward=false).
  await writeFile(`/proc/sys/net/ipv4/conf/${name}/forwarding`, '1').catch(() => undefined);
}

/** An adopted bridge keeps the MAC it has now (its containers know it); it is only pinned. */
async function pinMac(bridge: string): Promise<string[]> {
  const assigned = (await readFile(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8').catch(() => ADDR_ASSIGNED)).trim();
  if (assigned === ADDR_ASSIGNED) return [];
  const now = (await readFile(`/sys/class/net/${bridge}/address`, 'utf8').catch(() => '')).trim();
  const mac = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(now) && now !== '00:00:00:00:00:00' ? now : randomLocalMac();
  return [`link set dev ${bridge} address ${mac}`];
}

/**
 * Deletes a link (a veth takes its peer along). One that is gone, however the kernel said so
 * (a veth can vanish with its namespace meanwhile), is no error.
 */
export async function deleteLink(name: string): Promise<void> {
  try {
    await hostAddon().linkDelete(name);
  } catch (err) {
    if (errnoCode(err) !== 'ENODEV' && (await linkExists(name))) throw new SystemError(`cannot delete ${name}: ${errorMessage(err)}`, { cause: err });
  }
}

/** A network namespace kept alive by a bind mount at `path`: it outlives berthd, not a reboot. */
export async function createNetns(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Each tool run costs milliseconds on every start: only a leftover needs the unmount.
  if (existsSync(path)) await deleteNetns(path);
  await writeFile(path, '');
  try {
    await hostAddon().netnsCreate(path);
  } catch (err) {
    await rm(path, { force: true });
    throw new SystemError(`cannot create a network namespace: ${errorMessage(err)}`);
  }
}

export async function deleteNetns(path: string): Promise<void> {
  await umountSyscall(path, MNT_DETACH).catch(() => undefined); // not mounted, or gone: nothing to undo
  await rm(path, { force: true });
}

/** `ip` commands run inside the namespace, as one batch. */
export async function inNetns(path: string, commands: readonly string[]): Promise<void> {
  await runCommand('nsenter', [`--net=${path}`, 'ip', '-batch', '-'], { input: commands.join('\n') + '\n' });
}

export interface VethSpec {
  netns: string;
  bridge: string;
  hostName: string;
  /** The interface name inside the container (eth0, eth1…). */
  ifName: string;
  addressCidr: string;
  gateway: string | undefined;
  /** The endpoint's IPv6 address with prefix and the default IPv6 route's gateway (IPv6 networks). */
  address6Cidr?: string | undefined;
  gateway6?: string | undefined;
  mac: string;
  mtu: number;
  /** More addresses (with prefix) on the interface: the endpoint's link-local IPs. */
  extraAddresses?: readonly string[];
}

/**
 * A veth pair: the host end enslaved to the bridge (hairpin on: a container reaching its own
 * published port through the host gets the answer back), the other end configured inside the
 * namespace. An IPv6 address is usable at once (no duplicate detection), as dockerd's: a
 * container's first packets, and a peer's ping right after start, would otherwise meet a
 * tentative address. On failure nothing of the pair is left.
 */
export async function attachVeth(v: VethSpec): Promise<void> {
  try {
    await hostAddon().vethAttach(v);
  } catch (err) {
    throw new SystemError(`cannot attach ${v.hostName} to ${v.bridge}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function setLoopbackUp(netns: string): Promise<void> {
  await inNetns(netns, ['link set dev lo up']);
}

export async function setSysctl(key: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${key.replaceAll('.', '/')}`, value);
}
