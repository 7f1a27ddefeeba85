/**
 * `berth commit` (a new image from a container's changes) and `berth export` (the container's
 * filesystem as a tar).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { collect, UsageError } from '../command-kit.js';
import { containerPath, isTTY } from './container-attach-io.js';
import { parseImageRef } from './run-image-ref.js';

/** `REPO[:TAG]` → the commit query's fully qualified `repo` and `tag` (latest when omitted). */
export function commitTarget(reference: string | undefined): { repo?: string; tag?: string } {
  if (reference === undefined || reference === '') return {};
  const ref = parseImageRef(reference);
  if (ref.digest !== undefined) throw new UsageError('refusing to create a tag with a digest reference');
  return { repo: ref.fullName, tag: ref.tag ?? 'latest' };
}

interface CommitFlags {
  author?: string;
  change?: string[];
  message?: string;
  pause: boolean;
}

export function defineCommit(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [REPOSITORY[:TAG]]')
    .description("Create a new image from a container's changes")
    .argument('<container>')
    .argument('[repository]')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause', 'Pause container during commit (default true)')
    .option('--no-pause', 'Do not pause the container during commit')
    .action(async (container: string, reference: string | undefined, flags: CommitFlags) => {
      const target = commitTarget(reference);
      const res = await ctx.client.json<{ Id: string }>({
        method: 'POST',
        path: '/commit',
        query: {
          container,
          ...target,
          comment: flags.message ?? '',
          author: flags.author ?? '',
          changes: flags.change,
          pause: flags.pause === false ? '0' : undefined,
        },
      });
      ctx.out(res.Id);
    });
}

export function defineExport(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER')
    .description("Export a container's filesystem as a tar archive")
    .argument('<container>')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (container: string, opts: { output?: string }) => {
      if (opts.output === undefined && isTTY(ctx.stdout)) {
        throw new CliExit(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      }
      const res = await ctx.client.raw({ method: 'GET', path: containerPath(container, 'export') });
      if (opts.output === undefined) {
        await pipeline(res, ctx.stdout);
        return;
      }
      // Written next to the target and renamed, so a failed export leaves no half archive.
      const tmp = `${opts.output}.berth-tmp-${process.pid}`;
      try {
        await pipeline(res, createWriteStream(tmp));
        await rename(tmp, opts.output);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new CliExit(1, `failed to export container: ${(err as Error).message}`);
      }
    });
}
