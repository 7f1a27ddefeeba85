/**
 * Builds a minimal root filesystem tar from the host's busybox-static binary, so that a
 * fresh machine has a first image without reaching any registry (`berth image bootstrap
 * busybox`). The tar is deterministic: entries sorted by path, owned by 0:0, and stamped
 * with the busybox binary's mtime, so one host always yields the same layer digest.
 */
import { execFile } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { UnavailableError, errnoCode, errorMessage } from '../../core/errors.js';

export const BUSYBOX_IMAGE_CHANGES = [
  'CMD ["sh"]',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
];

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const NOT_INSTALLED = 'busybox-static is not installed: apt-get install busybox-static';

/** Directories every image gets, beyond those the applet links need. */
const BASE_DIRS: ReadonlyMap<string, number> = new Map([
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o555],
  ['root', 0o700],
  ['run', 0o755],
  ['sbin', 0o755],
  ['sys', 0o555],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['usr/local', 0o755],
  ['usr/local/bin', 0o755],
  ['var', 0o755],
  ['var/tmp', 0o1777],
]);

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

type Entry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Buffer }
  | { kind: 'symlink'; path: string; target: string };

export async function busyboxRootfsTar(): Promise<Readable> {
  const binary = await findStaticBusybox();
  const [data, info, applets] = await Promise.all([readFile(binary), stat(binary), listApplets(binary)]);
  const mtime = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
  const pack = tar.pack();
  for (const e of rootfsEntries(data, applets)) {
    const common = { name: e.path, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
    if (e.kind === 'dir') pack.entry({ ...common, type: 'directory', mode: e.mode });
    else if (e.kind === 'symlink') pack.entry({ ...common, type: 'symlink', mode: 0o777, linkname: e.target });
    else pack.entry({ ...common, type: 'file', mode: e.mode, size: e.data.length }, e.data);
  }
  pack.finalize();
  // tar-stream's pack is a streamx stream; hand callers a plain node Readable.
  return Readable.from(pack);
}

/** Every entry of the rootfs, parents before children, sorted by path. */
function rootfsEntries(busybox: Buffer, applets: readonly string[]): Entry[] {
  const entries = new Map<string, Entry>();
  const addDir = (path: string, mode = 0o755): void => {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (parent) addDir(parent);
    if (!entries.has(path)) entries.set(path, { kind: 'dir', path, mode });
  };
  for (const [path, mode] of BASE_DIRS) addDir(path, mode);
  entries.set('bin/busybox', { kind: 'file', path: 'bin/busybox', mode: 0o755, data: busybox });
  entries.set('etc/passwd', { kind: 'file', path: 'etc/passwd', mode: 0o644, data: Buffer.from(PASSWD) });
  entries.set('etc/group', { kind: 'file', path: 'etc/group', mode: 0o644, data: Buffer.from(GROUP) });
  for (const applet of applets) {
    if (entries.has(applet)) continue; // bin/busybox itself is in the list
    addDir(applet.slice(0, applet.lastIndexOf('/')));
    entries.set(applet, { kind: 'symlink', path: applet, target: '/bin/busybox' });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The applet paths (`bin/sh`, `usr/bin/env`…) the binary installs, validated. */
async function listApplets(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(binary, ['--list-full'], { encoding: 'utf8' }));
  } catch (err) {
    throw new UnavailableError(`cannot list the applets of ${binary}: ${errorMessage(err)}`, { cause: err });
  }
  // Top-level applets (linuxrc, the initrd init) have no use in a container image.
  const applets = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '' && l.includes('/'));
  for (const a of applets) {
    if (!/^[a-z/]+\/[^/\s]+$/.test(a) || a.split('/').includes('..')) {
      throw new UnavailableError(`${binary} --list-full printed an unexpected path ${JSON.stringify(a)}`);
    }
  }
  if (!applets.includes('bin/sh')) throw new UnavailableError(`${binary} has no sh applet`);
  return applets;
}

/** The host's busybox binary, if it is statically linked (runs in an empty rootfs). */
async function findStaticBusybox(): Promise<string> {
  for (const path of CANDIDATES) {
    let interp: boolean;
    try {
      interp = await hasElfInterpreter(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw new UnavailableError(`cannot read ${path}: ${errorMessage(err)}; ${NOT_INSTALLED}`, { cause: err });
    }
    if (!interp) return path;
    throw new UnavailableError(`${path} is dynamically linked; ${NOT_INSTALLED}`);
  }
  throw new UnavailableError(NOT_INSTALLED);
}

const PT_INTERP = 3;

/**
 * Whether an ELF file asks for a program interpreter (ld.so), i.e. is dynamically linked.
 * Reads the ELF header and program headers only; throws if the file is not ELF.
 */
export async function hasElfInterpreter(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) throw new UnavailableError(`${path} is not an ELF binary`);
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(head, 0x1c);
    const phentsize = u16(head, is64 ? 0x36 : 0x2a);
    const phnum = u16(head, is64 ? 0x38 : 0x2c);
    if (phentsize < 4 || phnum === 0) return false;
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
