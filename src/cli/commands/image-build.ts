import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import tarStream, { type Pack } from 'tar-stream';
import { IgnoreMatcher, readIgnoreFile } from '../../core/dockerignore.js';
import { hasTarMagic } from '../../core/tar-magic.js';
import type { JsonMessage } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { collect, UsageError } from '../command-kit.js';
import { crypto } from '../../core/node-builtins.js';

interface BuildFlags {
  file?: string;
  tag?: string[];
  buildArg?: string[];
  label?: string[];
  target?: string;
  cache: boolean;
  cacheFrom?: string[];
  quiet?: boolean;
  iidfile?: string;
  rm: boolean;
  forceRm?: boolean;
  network?: string;
  addHost?: string[];
  memory?: string;
  cpuShares?: string;
  pull?: boolean;
  platform?: string;
}

/** `--build-arg K=V`, or `K` alone: the value from the environment, else left for the ARG default. */
export function buildArgsJson(args: readonly string[], env: NodeJS.ProcessEnv): string {
  const out: Record<string, string | null> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid argument "${a}" for "--build-arg" flag: invalid key: ""`);
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else out[a] = env[a] ?? null;
  }
  return JSON.stringify(out);
}

function labelsJson(labels: readonly string[]): string {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return JSON.stringify(out);
}

function memoryBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid argument "${text}" for "-m, --memory" flag: invalid size: '${text}'`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] as string).toLowerCase()] as number;
  return Math.round(Number(m[1]) * mult);
}

/** Adds the context directory to the tar as the docker CLI does: sorted, owned by root, .dockerignore applied. */
async function addTree(p: Pack, root: string, rel: string, ignore: IgnoreMatcher | null, keep: ReadonlySet<string>): Promise<void> {
  const dir = rel === '' ? root : join(root, rel);
  for (const name of (await readdir(dir)).sort()) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, childRel);
    const st = await lstat(abs);
    const excluded = ignore !== null && !keep.has(childRel) && ignore.excludes(childRel);
    if (excluded && !(st.isDirectory() && ignore.hasExclusions)) continue;
    const header = { name: childRel, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: st.mtime };
    if (st.isDirectory()) {
      if (!excluded) await entry(p, { ...header, type: 'directory' });
      await addTree(p, root, childRel, ignore, keep);
    } else if (excluded) continue;
    else if (st.isSymbolicLink()) await entry(p, { ...header, type: 'symlink', linkname: await readlink(abs) });
    else if (st.isFile()) {
      await new Promise<void>((res, rej) => {
        const w = p.entry({ ...header, type: 'file', size: st.size }, (err) => (err ? rej(err) : res()));
        createReadStream(abs).on('error', rej).pipe(w);
      });
    }
  }
}

function entry(p: Pack, header: Parameters<Pack['entry']>[0], body?: Buffer): Promise<void> {
  return new Promise((res, rej) => p.entry(header, body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function isArchive(head: Buffer): boolean {
  if (hasTarMagic(head)) return true;
  return [[0x1f, 0x8b], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a], [0x28, 0xb5, 0x2f, 0xfd]].some((m) => m.every((b, i) => head[i] === b));
}

/** The context as a tar stream and the Dockerfile's name inside it. */
async function contextTar(context: string, file: string | undefined): Promise<{ stream: Readable; dockerfile: string }> {
  let stdinDockerfile: Buffer | undefined;
  if (context === '-') {
    if (file === '-') throw new UsageError('invalid argument: can\'t use stdin for both build context and dockerfile');
    const data = await readStdin();
    if (isArchive(data)) return { stream: Readable.from([data]), dockerfile: file ?? 'Dockerfile' };
    const p = tarStream.pack();
    void entry(p, { name: 'Dockerfile', mode: 0o600, mtime: new Date(), size: data.length }, data).then(() => p.finalize());
    return { stream: p as unknown as Readable, dockerfile: 'Dockerfile' };
  }

  const root = resolve(context);
  const st = await lstat(root).catch(() => null);
  if (!st?.isDirectory()) throw new UsageError(`unable to prepare context: path "${context}" not found`);
  if (file === '-') stdinDockerfile = await readStdin();
  let dockerfile = 'Dockerfile';
  let extra: { name: string; data: Buffer } | undefined;
  if (stdinDockerfile !== undefined) {
    dockerfile = `.dockerfile.${crypto().randomBytes(10).toString('hex')}`;
    extra = { name: dockerfile, data: stdinDockerfile };
  } else if (file !== undefined) {
    const abs = isAbsolute(file) ? file : resolve(file);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      // As the docker CLI: a Dockerfile outside the context travels inside it under a random name.
      dockerfile = `.dockerfile.${crypto().randomBytes(10).toString('hex')}`;
      extra = { name: dockerfile, data: await readFile(abs).catch(() => { throw new UsageError(`unable to prepare context: the Dockerfile (${file}) cannot be read`); }) };
    } else dockerfile = rel.split(sep).join('/');
  }
  const ignoreText = (await readFile(join(root, `${dockerfile}.dockerignore`), 'utf8').catch(() => undefined)) ?? (await readFile(join(root, '.dockerignore'), 'utf8').catch(() => undefined));
  const ignore = ignoreText === undefined ? null : new IgnoreMatcher(readIgnoreFile(ignoreText));
  const p = tarStream.pack();
  void (async () => {
    try {
      await addTree(p, root, '', ignore, new Set([dockerfile, '.dockerignore']));
      if (extra) await entry(p, { name: extra.name, mode: 0o600, mtime: new Date(), size: extra.data.length }, extra.data);
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
    }
  })();
  return { stream: p as unknown as Readable, dockerfile };
}

export function defineBuild(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<PATH|URL|->', 'the build context: a directory, or - for a tar (or a Dockerfile) on stdin')
    .description('Build an image from a Dockerfile')
    .option('-f, --file <file>', "name of the Dockerfile (default: 'PATH/Dockerfile'); - reads it from stdin")
    .option('-t, --tag <name>', "name and optionally a tag in the 'name:tag' format", collect)
    .option('--build-arg <arg>', 'set build-time variables', collect)
    .option('--label <label>', 'set metadata for an image', collect)
    .option('--target <stage>', 'set the target build stage to build')
    .option('--no-cache', 'do not use cache when building the image')
    .option('--cache-from <image>', 'images to consider as cache sources', collect)
    .option('-q, --quiet', 'suppress the build output and print image ID on success')
    .option('--iidfile <file>', 'write the image ID to the file')
    .option('--no-rm', 'keep intermediate containers after a successful build')
    .option('--force-rm', 'always remove intermediate containers')
    .option('--network <mode>', 'networking mode for the RUN instructions during build')
    .option('--add-host <host:ip>', 'add a custom host-to-IP mapping', collect)
    .option('-m, --memory <bytes>', 'memory limit')
    .option('-c, --cpu-shares <shares>', 'CPU shares (relative weight)')
    .option('--pull', 'always attempt to pull a newer version of the image')
    .option('--platform <platform>', 'set platform if server is multi-platform capable')
    .action(async (context: string, opts: BuildFlags) => {
      // A URL is fetched by the daemon (a tarball context, or a Dockerfile alone), as with docker.
      const remote = /^https?:\/\//.test(context) ? context : undefined;
      const { stream, dockerfile } = remote ? { stream: undefined, dockerfile: opts.file ?? 'Dockerfile' } : await contextTar(context, opts.file);
      const query = {
        dockerfile,
        remote,
        t: opts.tag ?? [],
        buildargs: buildArgsJson(opts.buildArg ?? [], process.env),
        labels: labelsJson(opts.label ?? []),
        target: opts.target,
        nocache: opts.cache ? undefined : '1',
        cachefrom: opts.cacheFrom ? JSON.stringify(opts.cacheFrom) : undefined,
        q: opts.quiet ? '1' : undefined,
        rm: opts.rm ? '1' : '0',
        forcerm: opts.forceRm ? '1' : undefined,
        networkmode: opts.network,
        extrahosts: opts.addHost,
        memory: opts.memory ? String(memoryBytes(opts.memory)) : undefined,
        cpushares: opts.cpuShares,
        pull: opts.pull ? '1' : undefined,
        platform: opts.platform,
        version: '1',
      };
      const res = await ctx.client.raw({ method: 'POST', path: '/build', query, ...(stream ? { stream } : {}), headers: { 'Content-Type': 'application/x-tar' } });
      const tty = process.stdout.isTTY === true;
      let id: string | undefined;
      let failure: { message: string; code: number } | undefined;
      const show = (m: JsonMessage): void => {
        if (m.errorDetail || m.error) {
          failure ??= { message: m.errorDetail?.message ?? m.error ?? 'unknown error', code: (m.errorDetail as { code?: number } | undefined)?.code ?? 1 };
          return;
        }
        const aux = m.aux as { ID?: string } | undefined;
        if (aux?.ID) id = aux.ID;
        if (m.stream === undefined || opts.quiet) return;
        // On a terminal the step headers stand out; piped output stays exactly docker's.
        ctx.stdout.write(tty ? m.stream.replace(/^(Step \d+\/\d+ : .*)$/gm, '\x1b[1m$1\x1b[0m') : m.stream);
      };
      let buffered = '';
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) show(JSON.parse(line) as JsonMessage);
        }
      }
      if (buffered.trim()) show(JSON.parse(buffered) as JsonMessage);
      if (failure) {
        ctx.err(failure.message);
        throw new CliExit(failure.code);
      }
      if (id === undefined) throw new CliExit(1, 'the daemon did not report the built image');
      if (opts.iidfile) await writeFile(opts.iidfile, id);
      if (opts.quiet) ctx.out(id);
    });
}
