import { Readable } from 'node:stream';
import tarStream, { type Header } from 'tar-stream';

/** One tar entry of a fixture layer; `name` goes into the tar exactly as given. */
export interface FixtureEntry {
  name: string;
  type?: Header['type'];
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX records, e.g. `{ 'SCHILY.xattr.user.test': 'v' }`. */
  pax?: Record<string, string>;
}

export const FIXED_MTIME = new Date('2020-02-02T02:02:02Z');

/** Builds a layer tar in memory with tar-stream's packer. */
export async function tarBuffer(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: Header & { pax?: Record<string, string> } = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? FIXED_MTIME,
      linkname: e.linkname ?? '',
      size: 0,
      uname: '',
      gname: '',
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    if (e.pax) header.pax = e.pax;
    if (type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function layerTar(entries: readonly FixtureEntry[]): Promise<Readable> {
  return Readable.from([await tarBuffer(entries)]);
}

export const dir = (name: string, extra: Partial<FixtureEntry> = {}): FixtureEntry => ({ name, type: 'directory', ...extra });
export const file = (name: string, content: string, extra: Partial<FixtureEntry> = {}): FixtureEntry => ({ name, content, ...extra });
export const symlink = (name: string, target: string): FixtureEntry => ({ name, type: 'symlink', linkname: target });
export const hardlink = (name: string, target: string): FixtureEntry => ({ name, type: 'link', linkname: target });
