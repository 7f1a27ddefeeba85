/**
 * `berth create` and the create step `run` shares (docker's createContainer): create, and when
 * the image is missing (404) print "Unable to find image 'x:latest' locally", pull it through
 * `POST /images/create` and create again.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { consoleSize } from '../terminal/tty-size.js';
import type { CreateRequest } from '../../api/types/container.js';
import { addContainerFlags, type RunFlags } from './run-flags.js';
import { familiarWithTag, parseImageRef } from './run-image-ref.js';
import { buildCreateRequest } from './run-options.js';
import { isImageId, pullImage } from './run-pull.js';
import { FlagError } from './run-units.js';

export interface CreateOptions {
  pull: string;
  quiet: boolean;
}

/** A flag or pull-option mistake: docker prints `docker: MSG.` plus the help hint and exits 125. */
export function flagFailure(command: string, message: string): CliExit {
  return new CliExit(125, `berth: ${message.replace(/\.$/, '')}.\nSee 'berth ${command} --help'.`);
}

export function validatePullOption(value: string): void {
  if (!['always', 'missing', 'never', ''].includes(value)) {
    throw new FlagError(`invalid pull option: '${value}': must be one of "always", "missing" or "never"`);
  }
}

/** Parses the flags into a create request; flag errors become docker's exit-125 message. */
export function parseRunFlags(ctx: CliContext, command: string, flags: RunFlags, image: string, args: string[]): CreateRequest {
  try {
    validatePullOption(flags.pull ?? 'missing');
    return buildCreateRequest(flags, image, args, { consoleSize: consoleSize(ctx.stdout) });
  } catch (err) {
    if (err instanceof FlagError) throw flagFailure(command, err.message);
    throw err;
  }
}

async function postCreate(ctx: CliContext, req: CreateRequest): Promise<{ Id: string; Warnings: string[] | null }> {
  return ctx.client.json({ method: 'POST', path: '/containers/create', query: { name: req.name, platform: req.platform }, body: req.body });
}

/** Creates the container (pulling a missing image first, as docker does) and returns its ID. */
export async function createContainer(ctx: CliContext, req: CreateRequest, opts: CreateOptions): Promise<string> {
  const cidfile = req.body.HostConfig.ContainerIDFile;
  if (cidfile !== '' && existsSync(cidfile)) {
    throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
  }
  const image = req.body.Image;
  const pullable = !isImageId(image);
  const pull = (): Promise<void> => pullImage(ctx, image, { ...(req.platform !== undefined ? { platform: req.platform } : {}), quiet: opts.quiet });
  if (opts.pull === 'always' && pullable) await pull();
  let created;
  try {
    created = await postCreate(ctx, req);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404 && pullable && opts.pull === 'missing')) throw err;
    if (!opts.quiet) ctx.err(`Unable to find image '${familiarWithTag(parseImageRef(image))}' locally`);
    await pull();
    created = await postCreate(ctx, req);
  }
  const warnings = [...(created.Warnings ?? [])];
  const loopback = req.body.HostConfig.Dns.find((d) => isIP(d) !== 0 && (d.startsWith('127.') || d === '::1'));
  if (loopback !== undefined) warnings.push(`Localhost DNS (${loopback}) may fail in containers.`);
  for (const w of warnings) ctx.err(`WARNING: ${w}`);
  if (cidfile !== '') {
    try {
      writeFileSync(cidfile, created.Id, { flag: 'wx' });
    } catch (err) {
      throw new Error(`failed to write the container ID to the file: ${(err as Error).message}`);
    }
  }
  return created.Id;
}

/** How docker words an error from create/pull/start (`Error response from daemon: …`). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function defineCreate(parent: Command, ctx: CliContext, name: string): Command {
  const cmd = parent
    .command(name)
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .description('Create a new container')
    .argument('<image>')
    .argument('[command...]');
  addContainerFlags(cmd, false).action(async (image: string, args: string[], flags: RunFlags) => {
    const req = parseRunFlags(ctx, 'create', flags, image, args);
    try {
      ctx.out(await createContainer(ctx, req, { pull: flags.pull ?? 'missing', quiet: flags.quiet === true }));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new CliExit(1, errorText(err));
    }
  });
  return cmd;
}
