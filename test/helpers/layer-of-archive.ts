import { createReadStream } from 'node:fs';
import { extract } from 'tar-stream';

/** The first layer tar of a `docker save` archive, read through its manifest.json. */
export async function firstLayerOf(archivePath: string): Promise<Buffer> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  createReadStream(archivePath).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    files.set(entry.header.name, Buffer.concat(chunks));
  }
  const manifest = JSON.parse((files.get('manifest.json') ?? Buffer.from('[]')).toString()) as Array<{ Layers: string[] }>;
  const layer = manifest[0]?.Layers[0];
  const data = layer !== undefined ? files.get(layer) : undefined;
  if (!data) throw new Error(`no layer found in ${archivePath}`);
  return data;
}
