import { createHash } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidParameterError } from '../../core/errors.js';

/**
 * `ADD <url> <dest>`: downloads the file into `dir` and returns its name (the URL's last path
 * component, as docker names it). Like docker: mode 0600, mtime from Last-Modified, and with
 * `--checksum=sha256:…` a mismatch fails the step.
 */
export async function fetchUrlSource(url: string, dir: string, checksum: string | undefined): Promise<string> {
  const name = posix.basename(new URL(url).pathname);
  if (name === '' || name === '/') throw new InvalidParameterError(`cannot determine filename from url: ${url}`);
  const res = await fetch(url, { redirect: 'follow' }).catch((err: unknown) => {
    throw new InvalidParameterError(`failed to GET ${url}: ${(err as Error).message}`);
  });
  if (!res.ok) throw new InvalidParameterError(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (checksum !== undefined) {
    const m = /^sha256:([a-f0-9]{64})$/.exec(checksum);
    if (!m) throw new InvalidParameterError(`invalid checksum digest format: ${checksum}`);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== m[1]) throw new InvalidParameterError(`digest mismatch ${checksum}: sha256:${actual}`);
  }
  const path = join(dir, name);
  await writeFile(path, body, { mode: 0o600 });
  const modified = res.headers.get('last-modified');
  if (modified) {
    const when = new Date(modified);
    if (!Number.isNaN(when.getTime())) await utimes(path, when, when);
  }
  return name;
}
