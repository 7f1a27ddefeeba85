import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { JsonMessage } from '../../client/engine-client.js';
import type { CliContext } from '../cli-context.js';
import { collect, UsageError } from '../command-kit.js';
import { BUSYBOX_IMAGE_CHANGES, busyboxRootfsTar } from '../bootstrap/busybox-rootfs.js';
import { DEBIAN_IMAGE_CHANGES, debianRootfsTar } from '../bootstrap/debian-rootfs.js';
import { splitRepoTag } from './image-manage.js';

export function defineSave(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<image...>')
    .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .option('-o, --output <file>', 'write to a file, instead of STDOUT')
    .action(async (images: string[], opts: { output?: string }) => {
      if (!opts.output && process.stdout.isTTY) {
        throw new UsageError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      }
      const res = await ctx.client.raw({ method: 'GET', path: '/images/get', query: { names: images } });
      if (opts.output) {
        // Write next to the target and rename, so a failed save never leaves a half archive.
        const tmp = `${opts.output}.berth-tmp-${process.pid}`;
        try {
          // 1 MiB: chunks that arrive while a write is out are written together (writev), where
          // the default 16 KiB wrote nearly every 64 KiB socket read on its own, a pool round trip each.
          await pipeline(res, createWriteStream(tmp, { highWaterMark: 1 << 20 }));
          const { rename } = await import('node:fs/promises');
          await rename(tmp, opts.output);
        } catch (err) {
          const { rm } = await import('node:fs/promises');
          await rm(tmp, { force: true });
          throw err;
        }
      } else await pipeline(res, ctx.stdout);
    });
}

/** Prints a progress stream as the docker CLI does: `stream` text as is, progress redrawn on a TTY. */
export function progressPrinter(ctx: CliContext): (m: JsonMessage) => void {
  const tty = process.stdout.isTTY === true;
  return (m) => {
    if (m.stream !== undefined) ctx.stdout.write(m.stream);
    else if (m.status !== undefined && tty) {
      const detail = m.progressDetail?.total ? ` ${m.progressDetail.current ?? 0}/${m.progressDetail.total}` : '';
      ctx.stdout.write(`\r${m.id ? `${m.id}: ` : ''}${m.status}${detail}\x1b[K${m.progressDetail?.total && m.progressDetail.current === m.progressDetail.total ? '\n' : ''}`);
    }
  };
}

export function defineLoad(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .description('Load an image from a tar archive or STDIN')
    .option('-i, --input <file>', 'read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'suppress the load output')
    .action(async (opts: { input?: string; quiet?: boolean }) => {
      if (!opts.input && process.stdin.isTTY) {
        throw new UsageError('requested load from stdin, but stdin is empty');
      }
      const stream: Readable = opts.input ? createReadStream(opts.input) : process.stdin;
      await ctx.client.jsonLines(
        { method: 'POST', path: '/images/load', query: { quiet: opts.quiet || !process.stdout.isTTY ? '1' : undefined }, stream },
        progressPrinter(ctx),
      );
    });
}

async function importStream(ctx: CliContext, source: Readable | string, target: string | undefined, changes: string[], message?: string, platform?: string): Promise<void> {
  const { repo, tag } = target ? splitRepoTag(target) : { repo: undefined, tag: undefined };
  const query = {
    fromSrc: typeof source === 'string' ? source : '-',
    repo,
    tag,
    message,
    changes,
    platform,
  };
  await ctx.client.jsonLines(
    { method: 'POST', path: '/images/create', query, ...(typeof source === 'string' ? {} : { stream: source }) },
    (m) => {
      if (m.status !== undefined) ctx.out(m.status);
    },
  );
}

export function defineImport(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<file|URL|->')
    .argument('[repository[:tag]]')
    .description('Import the contents from a tarball to create a filesystem image')
    .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <message>', 'set commit message for imported image')
    .option('--platform <platform>', 'set platform if server is multi-platform capable')
    .action(async (src: string, target: string | undefined, opts: { change?: string[]; message?: string; platform?: string }) => {
      let source: Readable | string;
      if (src === '-') source = process.stdin;
      else if (/^https?:\/\//.test(src)) source = src;
      else source = createReadStream(src);
      await importStream(ctx, source, target, opts.change ?? [], opts.message, opts.platform);
    });
}

export function defineBootstrap(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<source>', 'busybox, or debian:SUITE (e.g. debian:bookworm)')
    .description('Make a base image locally: busybox from the host busybox-static, or Debian with mmdebstrap')
    .option('-t, --tag <name>', 'name of the image (default: busybox:latest or debian:SUITE)')
    .option('--mirror <url>', 'Debian mirror (default: the host apt configuration)')
    .action(async (source: string, opts: { tag?: string; mirror?: string }) => {
      if (source === 'busybox' || source === 'busybox:latest') {
        await importStream(ctx, await busyboxRootfsTar(), opts.tag ?? 'busybox:latest', BUSYBOX_IMAGE_CHANGES, 'berth image bootstrap busybox');
        return;
      }
      const m = /^debian(?::([a-z]+))?$/.exec(source);
      if (!m) throw new UsageError(`unknown bootstrap source "${source}": use busybox or debian:SUITE`);
      const suite = m[1] ?? 'bookworm';
      const tar = await debianRootfsTar(suite, { ...(opts.mirror ? { mirror: opts.mirror } : {}), onLog: (l) => ctx.err(l) });
      await importStream(ctx, tar, opts.tag ?? `debian:${suite}`, DEBIAN_IMAGE_CHANGES, `berth image bootstrap debian:${suite}`);
    });
}
