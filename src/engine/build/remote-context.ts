import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { detectCompression } from '../../core/compression.js';
import { hasTarMagic } from '../../core/tar-magic.js';


/**
 * `docker build http://host/context.tar.gz` (the `remote` query): a tarball URL is the context;
 * any other file is taken as the Dockerfile of an otherwise empty context, as docker does. Git
 * repositories are not supported yet.
 */
export async function remoteContext(url: string, dockerfileName: string): Promise<Readable> {
  if (/^git(@|:\/\/)|\.git(#.*)?$/.test(url) || url.startsWith('github.com/')) {
    throw new NotImplementedError(`git build contexts are not supported by this Berth version yet: ${url}`);
  }
  if (!/^https?:\/\//.test(url)) throw new InvalidParameterError(`unable to prepare context: the remote context "${url}" is not an http(s) URL`);
  const res = await fetch(url, { redirect: 'follow' }).catch((err: unknown) => {
    throw new InvalidParameterError(`unable to prepare context: failed to GET ${url}: ${(err as Error).message}`);
  });
  if (!res.ok) throw new InvalidParameterError(`unable to prepare context: failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (detectCompression(body) !== 'none' || hasTarMagic(body)) return Readable.from([body]);
  const pack = tarStream.pack();
  pack.entry({ name: dockerfileName, mode: 0o600, size: body.length }, body);
  pack.finalize();
  return Readable.from(pack as unknown as AsyncIterable<Buffer>);
}
