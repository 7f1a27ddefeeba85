import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

export interface TarEntry {
  name: string;
  type: string;
  mode: number;
  linkname: string;
  body: Buffer;
}

/** Every entry of a tar stream with its content, in order; a stream error rejects. */
export async function tarEntries(tar: Readable): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const extract = tarStream.extract();
  tar.on('error', (err) => extract.destroy(err));
  tar.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
    const h = entry.header;
    out.push({ name: h.name, type: h.type, mode: h.mode ?? 0, linkname: h.linkname ?? '', body: Buffer.concat(chunks) });
  }
  return out;
}
