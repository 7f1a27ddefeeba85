import { InvalidParameterError } from '../../core/errors.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

/** A file of the image, read inside its root (a fifo or a device there reads as empty, never blocks). */
async function readRootFile(rootfs: string, path: string): Promise<string> {
  try {
    return (await RootedFs.with(rootfs, (fs) => fs.readFile(path)))?.toString('utf8') ?? '';
  } catch {
    return '';
  }
}

/**
 * `-u user[:group]` resolved against the container's own /etc/passwd and /etc/group (read inside
 * its root, never the host's), with docker's messages for names that do not exist.
 */
export async function resolveUser(rootfs: string, spec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const passwd = (await readRootFile(rootfs, '/etc/passwd')).split('\n').map((l) => l.split(':'));
  const groups = (await readRootFile(rootfs, '/etc/group')).split('\n').map((l) => l.split(':'));
  const [userPart = '', groupPart] = spec === '' ? ['0'] : spec.split(':', 2);
  let uid: number;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const byName = passwd.find((p) => p[0] === userPart);
  if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3]);
    home = byName[5] ?? '/';
    name = byName[0];
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const byUid = passwd.find((p) => p[2] === userPart);
    if (byUid) {
      gid = Number(byUid[3]);
      home = byUid[5] ?? '/';
      name = byUid[0];
    }
  } else {
    throw new InvalidParameterError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const lookupGroup = (g: string): number => {
    if (/^\d+$/.test(g)) return Number(g);
    const found = groups.find((e) => e[0] === g);
    if (!found) throw new InvalidParameterError(`unable to find group ${g}: no matching entries in group file`);
    return Number(found[2]);
  };
  if (groupPart !== undefined && groupPart !== '') gid = lookupGroup(groupPart);
  const additional = new Set<number>();
  if (name !== undefined && groupPart === undefined) {
    for (const g of groups) if ((g[3] ?? '').split(',').includes(name)) additional.add(Number(g[2]));
  }
  for (const g of groupAdd) additional.add(lookupGroup(g));
  additional.delete(gid);
  return { uid, gid, additionalGids: [gid, ...additional], home };
}
