import type { Command } from 'commander';
import { access, appendFile, chmod, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import { findSubIdRange, nextFreeSubIdStart, SUBID_COUNT } from '../../core/subordinate-ids.js';
import { CliExit, type CliContext } from '../cli-context.js';

/** One line of the report: fine, a note about this host, or a missing piece with what to do. */
export interface SetupLine {
  status: 'ok' | 'note' | 'missing';
  text: string;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const readText = (p: string): Promise<string | undefined> => readFile(p, 'utf8').then((t) => t, () => undefined);

/** CAP_SYS_RESOURCE is bit 24 of the capability sets in /proc/self/status. */
export function hasCapability(status: string, set: 'CapEff' | 'CapBnd', bit: number): boolean {
  const m = new RegExp(`^${set}:\\s*([0-9a-f]+)`, 'm').exec(status);
  return m ? (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n : false;
}

/** The kernel's user-namespace switches, from their /proc/sys values (undefined: the switch does not exist here). */
export function userNamespaceLines(v: { maxUserNs?: string | undefined; unprivClone?: string | undefined; apparmorRestrict?: string | undefined }): SetupLine[] {
  const out: SetupLine[] = [];
  if (v.maxUserNs !== undefined && Number(v.maxUserNs) === 0) out.push({ status: 'missing', text: 'user namespaces are disabled (user.max_user_namespaces=0): sysctl -w user.max_user_namespaces=15000' });
  if (v.unprivClone !== undefined && v.unprivClone.trim() === '0') out.push({ status: 'missing', text: 'unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0): sysctl -w kernel.unprivileged_userns_clone=1' });
  if (v.apparmorRestrict !== undefined && v.apparmorRestrict.trim() === '1') {
    out.push({ status: 'missing', text: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1): add an AppArmor profile allowing `userns` for /usr/bin/unshare, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' });
  }
  if (out.length === 0) out.push({ status: 'ok', text: `unprivileged user namespaces are allowed (user.max_user_namespaces=${v.maxUserNs?.trim() ?? '?'})` });
  return out;
}

/** Everything a rootless berthd needs on this host for `user`; as root with `prepare`, adds the sub-ID ranges. */
export async function rootlessSetup(user: string, uid: number, prepare: boolean): Promise<SetupLine[]> {
  const lines: SetupLine[] = [];
  const missingUidmap = [];
  for (const tool of ['newuidmap', 'newgidmap']) {
    const path = `/usr/bin/${tool}`;
    if (!(await exists(path))) missingUidmap.push(tool);
    else if (((await stat(path)).mode & 0o4000) === 0 && !/cap_set[ug]id/.test(safeExec('getcap', [path]))) lines.push({ status: 'missing', text: `${path} is neither setuid nor given cap_setuid/cap_setgid: reinstall uidmap (apt-get install --reinstall uidmap)` });
  }
  lines.push(missingUidmap.length > 0 ? { status: 'missing', text: `${missingUidmap.join(' and ')} not found: apt-get install uidmap` } : { status: 'ok', text: 'newuidmap and newgidmap are installed (uidmap)' });
  lines.push((await exists('/usr/bin/unshare')) ? { status: 'ok', text: 'unshare is installed (util-linux)' } : { status: 'missing', text: 'unshare not found: apt-get install util-linux' });
  // One start for both files, past every range of either: the same IDs for users and groups.
  const start = nextFreeSubIdStart((await readText('/etc/subuid')) ?? '', (await readText('/etc/subgid')) ?? '');
  for (const [file, kind] of [['/etc/subuid', 'user'], ['/etc/subgid', 'group']] as const) {
    const text = (await readText(file)) ?? '';
    const range = findSubIdRange(text, user, uid);
    if (range) {
      lines.push({ status: 'ok', text: `${file}: ${user} has ${range.count} subordinate ${kind} IDs from ${range.start}` });
    } else if (prepare) {
      await appendFile(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${user}:${start}:${SUBID_COUNT}\n`);
      lines.push({ status: 'ok', text: `${file}: added ${user}:${start}:${SUBID_COUNT}` });
    } else {
      lines.push({ status: 'missing', text: `${file} gives ${user} no range of ${SUBID_COUNT} ${kind} IDs: as root, run \`berth system setup-rootless --user ${user}\`` });
    }
  }
  lines.push(...userNamespaceLines({
    maxUserNs: await readText('/proc/sys/user/max_user_namespaces'),
    unprivClone: await readText('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrict: await readText('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
  }));
  lines.push((await exists('/usr/bin/slirp4netns')) ? { status: 'ok', text: 'slirp4netns is installed' } : { status: 'missing', text: 'slirp4netns not found (outbound networking of rootless containers): apt-get install slirp4netns' });
  lines.push(await tunLine(user, uid, groupsOf(user), prepare));
  const unified = (await readText('/sys/fs/cgroup/cgroup.controllers')) !== undefined;
  if (!unified) lines.push({ status: 'note', text: 'cgroup v1 or hybrid host: no cgroup delegation, so -m, --cpus and --pids-limit are not applied to rootless containers (each create warns)' });
  const portStart = (await readText('/proc/sys/net/ipv4/ip_unprivileged_port_start'))?.trim();
  if (portStart !== undefined && Number(portStart) > 0) lines.push({ status: 'note', text: `ports below ${portStart} cannot be published rootless (net.ipv4.ip_unprivileged_port_start=${portStart}; sysctl -w it lower to allow)` });
  const status = (await readText('/proc/self/status')) ?? '';
  if (uid === 0 || process.getuid?.() === 0) {
    if (!hasCapability(status, 'CapBnd', 24)) lines.push({ status: 'note', text: 'root on this host lacks CAP_SYS_RESOURCE (berth itself runs in a restricted container): rlimits cannot be raised past their hard limits, rootless or not' });
  }
  return lines;
}

/** The tun device slirp4netns opens, as the user, to give a rootless daemon its outbound link. */
export const TUN = '/dev/net/tun';

/**
 * Whether a file of `mode`, owned by `owner`/`group`, is readable and writable by `uid` (in
 * `groups`). udev makes /dev/net/tun 0666 on most hosts; containers and minimal VMs may leave 0600.
 */
export function openTo(mode: number, owner: number, group: number, uid: number, groups: readonly number[]): boolean {
  if (uid === 0) return true;
  const bits = uid === owner ? (mode >> 6) & 0o6 : groups.includes(group) ? (mode >> 3) & 0o6 : mode & 0o6;
  return bits === 0o6;
}

/** /dev/net/tun for `user`: fine, made 0666 (as root, preparing), or what to do. */
export async function tunLine(user: string, uid: number, groups: readonly number[], prepare: boolean): Promise<SetupLine> {
  const st = await stat(TUN).catch(() => undefined);
  if (!st) return { status: 'missing', text: `${TUN} does not exist: rootless containers would have no outbound network and -p could not publish (modprobe tun)` };
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  if (openTo(st.mode, st.uid, st.gid, uid, groups)) return { status: 'ok', text: `${TUN} is open to ${user} (slirp4netns, the outbound network)` };
  if (prepare) {
    await chmod(TUN, (st.mode & 0o7777) | 0o666);
    return { status: 'ok', text: `${TUN}: made 0666 (it was ${mode}), as udev makes it on most hosts, for slirp4netns; until the next boot (a udev rule, KERNEL=="tun" MODE="0666", keeps it)` };
  }
  return { status: 'missing', text: `${TUN} is ${mode} here, not open to ${user}: rootless containers would have no outbound network and -p could not publish; as root, run \`berth system setup-rootless --user ${user}\` (or chmod 0666 ${TUN})` };
}

function safeExec(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** The group IDs of `user` (`id -G`). */
function groupsOf(user: string): number[] {
  return safeExec('id', ['-G', user]).trim().split(/\s+/).filter((g) => g !== '').map(Number);
}

/** `berth system setup-rootless`: a host check that needs no daemon (rootless berthd is not running yet). */
export function defineSetupRootless(parent: Command, ctx: CliContext): Command {
  return parent
    .command('setup-rootless')
    .description('Check (as the user) or prepare (as root, with --user) what a rootless berthd needs')
    .option('--user <name>', 'as root: the user to prepare (adds its /etc/subuid and /etc/subgid ranges, opens /dev/net/tun as udev does)')
    .action(async (opts: { user?: string }) => {
      const me = userInfo();
      const asRoot = me.uid === 0;
      if (opts.user !== undefined && !asRoot) throw new CliExit(1, 'berth: --user prepares another user and needs root; without it, this checks your own account');
      if (opts.user === undefined && asRoot) throw new CliExit(1, 'berth: as root, name the user who will run berthd: berth system setup-rootless --user NAME');
      const user = opts.user ?? me.username;
      const uid = Number(safeExec('id', ['-u', user]).trim() || NaN);
      if (!Number.isInteger(uid)) throw new CliExit(1, `berth: no such user: ${user}`);
      const lines = await rootlessSetup(user, uid, asRoot);
      for (const l of lines) ctx.out(`${l.status === 'ok' ? 'ok     ' : l.status === 'note' ? 'note   ' : 'MISSING'} ${l.text}`);
      if (lines.some((l) => l.status === 'missing')) throw new CliExit(1);
      ctx.out(`ready: as ${user}, run berthd; the CLI finds unix://$XDG_RUNTIME_DIR/berth/berth.sock (for docker: export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/berth/berth.sock)`);
    });
}
