import { access } from 'node:fs/promises';

/** docker-init is tini; Debian's tini-static runs in any image, with or without a libc. */
export async function findInitBinary(): Promise<string | undefined> {
  for (const p of ['/usr/bin/tini-static', '/usr/bin/docker-init']) {
    try {
      await access(p);
      return p;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}
