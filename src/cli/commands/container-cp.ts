/**
 * `berth cp` (docker cp.go) through the archive endpoints: the daemon resolves paths inside the
 * container and speaks tar; this side works out where the archive goes and under which name.
 *
 *   CTR:SRC → DEST   GET  /containers/{id}/archive?path=SRC      (tar + X-Docker-Container-Path-Stat)
 *   SRC → CTR:DEST   HEAD /containers/{id}/archive?path=DEST     (stat; 404 = does not exist)
 *                    PUT  /containers/{id}/archive?path=DIR&noOverwriteDirNonDir=true[&copyUIDGID=true]
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { posix, resolve as resolveLocal } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { humanSize } from '../../core/human-units.js';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { containerPath, isTTY } from './container-attach-io.js';
import {
  CopyError, decodePathStat, getRebaseName, isDeviceMode, isDirMode, isSymlinkMode, prepareArchiveCopy,
  preserveTrailingDotOrSeparator, splitCpArg, splitPathDirEntry, type CopyInfo, type PathStat,
} from './container-cp-paths.js';
import { extractTarTo, packLocalPath, rebaseTar } from './container-cp-tar.js';

interface CpFlags {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

const resolveLocalPath = (p: string): string => preserveTrailingDotOrSeparator(resolveLocal(p), p);

/**
 * Counts bytes as they pass, for docker's "Successfully copied 1.2kB to …". A Transform, not a
 * 'data' listener: that would start the flow before the consumer is attached and lose data.
 */
function counted(stream: Readable, counter: { bytes: number }): Readable {
  const counter$ = new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
  stream.on('error', (err: Error) => counter$.destroy(err));
  return stream.pipe(counter$);
}

async function statInContainer(ctx: CliContext, ctr: string, path: string): Promise<PathStat | undefined> {
  try {
    const res = await ctx.client.raw({ method: 'HEAD', path: containerPath(ctr, 'archive'), query: { path } });
    res.resume();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

/** docker's CopyInfoDestinationPath: follows symlinks at the destination; its parent must be a directory. */
async function localDestination(path: string): Promise<CopyInfo> {
  let p = path;
  for (let n = 0; ; n++) {
    let st;
    try {
      st = await lstat(p);
    } catch {
      const [parent] = splitPathDirEntry(p);
      const ps = await stat(parent).catch(() => undefined);
      if (!ps) throw new CopyError(`stat ${parent}: no such file or directory`);
      if (!ps.isDirectory()) throw new CopyError('not a directory');
      return { path: p, exists: false, isDir: false };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    if (n >= 10) throw new CopyError(`too many symlinks in ${path}`);
    const target = await readlink(p);
    p = target.startsWith('/') ? target : posix.join(splitPathDirEntry(p)[0], target);
  }
}

async function copyFromContainer(ctx: CliContext, ctr: string, srcArg: string, dstArg: string, flags: CpFlags): Promise<void> {
  const dst = dstArg === '-' ? '-' : resolveLocalPath(dstArg);
  let src = srcArg;
  let rebase = '';
  if (flags.followLink === true) {
    const st = await statInContainer(ctx, ctr, src);
    if (st && isSymlinkMode(st.mode)) {
      const target = st.linkTarget.startsWith('/') ? st.linkTarget : posix.join(splitPathDirEntry(src)[0], st.linkTarget);
      ({ resolved: src, rebaseName: rebase } = getRebaseName(src, target));
    }
  }
  const res = await ctx.client.raw({ method: 'GET', path: containerPath(ctr, 'archive'), query: { path: src } });
  if (dst === '-') {
    await pipeline(res, ctx.stdout);
    return;
  }
  const st = decodePathStat(res.headers['x-docker-container-path-stat']);
  const counter = { bytes: 0 };
  let archive: Readable = counted(res, counter);
  if (rebase !== '') archive = rebaseTar(archive, splitPathDirEntry(src)[1], rebase);
  const srcInfo: CopyInfo = { path: src, exists: true, isDir: st !== undefined && isDirMode(st.mode), ...(rebase !== '' ? { rebaseName: rebase } : {}) };
  const dstInfo = await localDestination(dst);
  const plan = prepareArchiveCopy(srcInfo, dstInfo);
  if (plan.rebase) archive = rebaseTar(archive, plan.rebase.from, plan.rebase.to);
  await extractTarTo(archive, plan.dstDir);
  if (flags.quiet !== true) ctx.err(`Successfully copied ${humanSize(counter.bytes)} to ${dst}`);
}

/** docker's CopyInfoSourcePath: symlinks in the parent are resolved; the last element only with -L. */
async function localSource(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  if (followLink) {
    ({ resolved, rebaseName } = getRebaseName(path, await realpath(path)));
  } else {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1) || '.';
    const base = path.slice(slash + 1);
    resolved = `${await realpath(dir)}/${base}`;
    if (path.endsWith('/') && posix.basename(path) !== posix.basename(resolved)) rebaseName = posix.basename(path);
  }
  const st = await lstat(resolved);
  return { path: resolved, exists: true, isDir: st.isDirectory(), ...(rebaseName !== '' ? { rebaseName } : {}) };
}

async function copyToContainer(ctx: CliContext, ctr: string, srcArg: string, dstPath: string, flags: CpFlags): Promise<void> {
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false };
  let st = await statInContainer(ctx, ctr, dstPath);
  if (st && isSymlinkMode(st.mode)) {
    const target = st.linkTarget.startsWith('/') ? st.linkTarget : posix.join(splitPathDirEntry(dstPath)[0], st.linkTarget);
    dstInfo.path = target;
    st = await statInContainer(ctx, ctr, target);
  }
  if (st && isDeviceMode(st.mode)) throw new CopyError(`destination "${ctr}:${dstPath}" must be a directory or a regular file: got a device`);
  if (st) {
    dstInfo.exists = true;
    dstInfo.isDir = isDirMode(st.mode);
  }
  let content: Readable;
  let dstDir: string;
  const counter = { bytes: 0 };
  if (srcArg === '-') {
    if (!dstInfo.isDir) throw new CopyError(`destination "${ctr}:${dstPath}" must be a directory`);
    content = process.stdin;
    dstDir = dstInfo.path;
  } else {
    const srcInfo = await localSource(resolveLocalPath(srcArg), flags.followLink === true);
    const plan = prepareArchiveCopy(srcInfo, dstInfo);
    content = counted(packLocalPath(srcInfo.path, srcInfo.rebaseName ?? ''), counter);
    if (plan.rebase) content = rebaseTar(content, plan.rebase.from, plan.rebase.to);
    dstDir = plan.dstDir;
  }
  await ctx.client.noContent({
    method: 'PUT',
    path: containerPath(ctr, 'archive'),
    query: { path: dstDir, noOverwriteDirNonDir: 'true', copyUIDGID: flags.archive === true ? 'true' : undefined },
    stream: content,
  });
  if (flags.quiet !== true && srcArg !== '-') ctx.err(`Successfully copied ${humanSize(counter.bytes)} to ${ctr}:${dstInfo.path}`);
}

export function defineCp(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
    .description('Copy files/folders between a container and the local filesystem')
    .argument('<source>')
    .argument('<destination>')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached')
    .action(async (source: string, destination: string, flags: CpFlags) => {
      if (source === '') throw new CliExit(1, 'source can not be empty');
      if (destination === '') throw new CliExit(1, 'destination can not be empty');
      const quiet = flags.quiet ?? !isTTY(ctx.stdout);
      const src = splitCpArg(source);
      const dst = splitCpArg(destination);
      try {
        if (src.container !== '' && dst.container !== '') throw new CopyError('copying between containers is not supported');
        if (src.container !== '') await copyFromContainer(ctx, src.container, src.path, dst.path, { ...flags, quiet });
        else if (dst.container !== '') await copyToContainer(ctx, dst.container, src.path, dst.path, { ...flags, quiet });
        else throw new CopyError('must specify at least one container source');
      } catch (err) {
        if (err instanceof CopyError) throw new CliExit(1, err.message);
        const e = err as NodeJS.ErrnoException;
        if (typeof e.code === 'string' && typeof e.syscall === 'string') throw new CliExit(1, e.message);
        throw err;
      }
    });
}
