/**
 * The victim: a directory on the host that hostile archives aim at (by absolute path, by
 * `../` paths, through symlinks), holding files, a subdirectory, a symlink, a hardlink pair and
 * host files with a secret token that a build must never read. A snapshot records everything a
 * write, chmod, chown, utimes, link or unlink would change (ctime included, atime not), for the
 * victim's tree and for its parent directory; `diff` says what changed.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, symlink, link, utimes, writeFile, lutimes } from 'node:fs/promises';
import { join } from 'node:path';

export interface Victim {
  /** The directory around the victim (the test's own), checked too. */
  base: string;
  /** The victim directory's absolute path, as recipes name it. */
  dir: string;
  /** A unique token only the victim's secret files hold. */
  token: string;
}

const OLD = new Date('2001-02-03T04:05:06Z');

/** Creates `<base>/victim` with its files, all dated 2001 so any time change stands out. */
export async function makeVictim(base: string, token = `tok${randomBytes(12).toString('hex')}`): Promise<Victim> {
  const dir = join(base, 'victim');
  await mkdir(join(dir, 'target'), { recursive: true });
  await mkdir(join(dir, 'sub/deeper'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'file.txt'), 'victim file\n');
  await writeFile(join(dir, 'target/inner.txt'), 'inner\n');
  await writeFile(join(dir, 'sub/deeper/leaf.txt'), 'leaf\n');
  await writeFile(join(dir, 'hard1'), 'hard pair\n');
  await link(join(dir, 'hard1'), join(dir, 'hard2'));
  await symlink('file.txt', join(dir, 'link'));
  // Host files a build must not read: a Dockerfile that would put the token in a label, one that
  // copies the canary, and ignore files that would hide the canary from the context.
  await writeFile(join(dir, 'secret.Dockerfile'), `FROM busybox\nLABEL leak=${token}\n`);
  await writeFile(join(dir, 'secret.Dockerfile.dockerignore'), `canary\n${token}\n`);
  await writeFile(join(dir, 'plain.Dockerfile'), 'FROM busybox\nCOPY canary /canary\n');
  await writeFile(join(dir, 'plain.Dockerfile.dockerignore'), 'canary\n');
  await writeFile(join(dir, 'secret.ignore'), 'canary\n');
  await writeFile(join(dir, 'secret.txt'), `${token}\n`);
  spawnSync('setfattr', ['-n', 'user.victim', '-v', 'kept', join(dir, 'file.txt')]);
  const all = ['file.txt', 'target/inner.txt', 'target', 'sub/deeper/leaf.txt', 'sub/deeper', 'sub', 'empty', 'hard1', 'secret.Dockerfile', 'secret.Dockerfile.dockerignore', 'plain.Dockerfile', 'plain.Dockerfile.dockerignore', 'secret.ignore', 'secret.txt', '.'];
  for (const p of all) await utimes(join(dir, p), OLD, OLD);
  await lutimes(join(dir, 'link'), OLD, OLD);
  return { base, dir, token };
}

export type Snapshot = Map<string, string>;

async function describe(path: string): Promise<string> {
  const s = await lstat(path, { bigint: true });
  let content = '';
  if (s.isFile()) content = createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16);
  else if (s.isSymbolicLink()) content = `-> ${await readlink(path)}`;
  else if (s.isDirectory()) content = `[${(await readdir(path)).sort().join(',')}]`;
  return `mode=${s.mode.toString(8)} uid=${s.uid} gid=${s.gid} size=${s.size} nlink=${s.nlink} ino=${s.ino} mtime=${s.mtimeNs} ctime=${s.ctimeNs} ${content}`;
}

/** Every entry of the victim's tree, the victim's parent, and the xattrs of all of them. */
export async function snapshot(v: Victim): Promise<Snapshot> {
  const out: Snapshot = new Map();
  out.set('<base>', await describe(v.base));
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? v.dir : join(v.dir, rel);
    let d: string;
    try {
      d = await describe(abs);
    } catch (err) {
      d = `gone: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
    out.set(rel === '' ? '.' : rel, d);
    if (d.startsWith('mode=4')) for (const name of await readdir(abs)) await walk(rel === '' ? name : `${rel}/${name}`);
  };
  await walk('');
  const xattrs = spawnSync('getfattr', ['-R', '-h', '-d', '-m', '-', '--absolute-names', v.dir], { encoding: 'utf8' });
  out.set('<xattrs>', xattrs.stdout);
  return out;
}

/** Lines saying what changed between two snapshots (empty when nothing did). */
export function diff(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const [k, v] of before) {
    const a = after.get(k);
    if (a === undefined) lines.push(`${k}: removed (was ${v})`);
    else if (a !== v) lines.push(`${k}: ${v}  =>  ${a}`);
  }
  for (const [k, v] of after) if (!before.has(k)) lines.push(`${k}: added ${v}`);
  return lines;
}
