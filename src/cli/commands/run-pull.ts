/**
 * The pull that `run`/`create` do when the image is missing (docker's create.go pullImage):
 * `POST /images/create?fromImage=<fully qualified>&tag=…`, progress to stderr (stdout is
 * kept for the container ID), an in-band `error` line fails the pull with its message.
 */
import type { CliContext } from '../cli-context.js';
import { jsonLinesOf, type JsonMessage } from '../../client/engine-client.js';
import { parseImageRef } from './run-image-ref.js';
import { registryAuthHeader } from '../docker-config.js';

/** An error line inside the progress stream: printed without "Error response from daemon". */
export class PullStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PullStreamError';
  }
}

function printMessage(ctx: CliContext, m: JsonMessage): void {
  if (m.status === undefined) return;
  const prefix = m.id ? `${m.id}: ` : '';
  // Off a terminal docker prints each message once, without the progress bar.
  if (m.progressDetail?.total !== undefined && m.id) return;
  ctx.stderr.write(`${prefix}${m.status}\n`);
}

export async function pullImage(ctx: CliContext, image: string, opts: { platform?: string; quiet?: boolean }): Promise<void> {
  const ref = parseImageRef(image);
  const res = await ctx.client.raw({
    method: 'POST',
    path: '/images/create',
    query: { fromImage: ref.fullName, tag: ref.digest ?? ref.tag ?? 'latest', platform: opts.platform },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ref.fullName.slice(0, ref.fullName.indexOf('/'))) },
  });
  let failure: string | undefined;
  for await (const m of jsonLinesOf<JsonMessage>(res)) {
    if (m.errorDetail || m.error) failure ??= m.errorDetail?.message ?? m.error ?? 'unknown error';
    else if (opts.quiet !== true) printMessage(ctx, m);
  }
  if (failure !== undefined) throw new PullStreamError(failure);
}

/** Image IDs (`sha256:…`, 64 hex digits) are never pulled. */
export function isImageId(image: string): boolean {
  return /^(sha256:)?[a-f0-9]{64}$/.test(image);
}
