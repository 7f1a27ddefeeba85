import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join, posix } from 'node:path';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import type { SourceTree } from './build-context.js';
import type { Channel, SshAgent } from './solve-types.js';

/** A `RUN --mount=…` as BuildKit reads it: comma-separated key=value, `type` defaulting to bind. */
export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target: string;
  fields: Map<string, string>;
}

const BOOL_KEYS = new Set(['rw', 'readwrite', 'ro', 'readonly', 'required']);

export function parseRunMount(spec: string): RunMount {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (eq < 0 && !BOOL_KEYS.has(key)) throw new InvalidParameterError(`invalid field '${part}' must be a key=value pair`);
    fields.set(key, eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'bind';
  if (type !== 'bind' && type !== 'cache' && type !== 'tmpfs' && type !== 'secret' && type !== 'ssh') throw new InvalidParameterError(`unsupported mount type "${type}"`);
  let target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
  // BuildKit's default id; the default target (/run/buildkit/ssh_agent.N) depends on the mount's place.
  if (type === 'ssh') return { type, target: target ?? '', fields: fields.set('id', fields.get('id') || 'default') };
  if (type === 'secret') {
    // BuildKit's defaults: the id is the target's base name, the target /run/secrets/<id>; with
    // env= alone the secret is only an environment variable.
    const id = fields.get('id') || (target ? posix.basename(target) : '');
    if (!id) throw new InvalidParameterError('secret mount requires an id or a target');
    fields.set('id', id);
    if (!target && fields.has('env')) return { type, target: '', fields };
    target ??= `/run/secrets/${id}`;
  }
  if (!target) throw new InvalidParameterError('mount destination (target) is required');
  if (fields.has('from')) throw new NotImplementedError('RUN --mount with from= is not supported by this Berth version yet');
  return { type, target, fields };
}

const truthy = (v: string | undefined): boolean => v !== undefined && v !== 'false';

/** Where secret and ssh mounts come from: the client's session (BuildKit), or nowhere (the legacy builder). */
export interface SecretSource {
  secret(id: string): Promise<Buffer | null>;
  sshAgent?: (id: string) => Promise<SshAgent | null>;
  /** A private directory for this step's secret files, removed after the step. */
  dir: string;
}

export interface RunMountPlan {
  mounts: Array<Record<string, unknown>>;
  key: string[];
  /** `NAME=value` from `type=secret,env=NAME`: for the command only, never in the image. */
  env: string[];
  /** Secret mount targets: what the runtime makes there to mount onto is removed before the commit. */
  stubs: string[];
  /** Stops what serves the step (agent sockets): run after the step, whatever happened. */
  close(): Promise<void>;
}

/**
 * The mounts for the RUN container, and what of them the cache key depends on: a context bind
 * by its content, a tmpfs by its options; a cache mount never (its content is the point), a
 * secret never (BuildKit keys on its id and target only, so the value stays out of the cache).
 */
export async function runMountPlan(mounts: readonly RunMount[], context: SourceTree, cacheDir: string, secrets?: SecretSource): Promise<RunMountPlan> {
  const out: Array<Record<string, unknown>> = [];
  const key: string[] = [];
  const env: string[] = [];
  const stubs: string[] = [];
  const servers: Server[] = [];
  let sshDir: string | undefined;
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    if (sshDir) await rm(sshDir, { recursive: true, force: true });
  };
  let sshCount = 0;
  try {
    for (const m of mounts) await planOne(m);
  } catch (err) {
    await close();
    throw err;
  }
  return { mounts: out, key, env, stubs, close };

  async function planOne(m: RunMount): Promise<void> {
    if (m.type === 'ssh') {
      const id = m.fields.get('id') as string;
      const target = m.target || `/run/buildkit/ssh_agent.${sshCount}`;
      sshCount++;
      if (!secrets?.sshAgent) throw new NotImplementedError('RUN --mount=type=ssh is not supported with the legacy builder: build with docker buildx (BuildKit) and --ssh');
      key.push(`ssh:${id}:${target}`);
      const agent = await secrets.sshAgent(id);
      if (!agent) {
        if (truthy(m.fields.get('required'))) throw new InvalidParameterError(`no SSH key "${id}" forwarded from the client: build with --ssh ${id}=<agent socket or key file>`);
        return;
      }
      // Under the temp dir, as BuildKit does: a socket path must fit in 108 bytes, which a path
      // under the data root need not. The directory is private; the container sees only the socket.
      sshDir ??= await mkdtemp(join(tmpdir(), 'berth-ssh-'));
      const sock = join(sshDir, `agent${sshCount}`);
      const server = await serveAgent(sock, agent);
      servers.push(server);
      await chmod(sock, parseInt(m.fields.get('mode') ?? '600', 8));
      await chown(sock, Number(m.fields.get('uid') ?? 0), Number(m.fields.get('gid') ?? 0));
      out.push({ Type: 'bind', Source: sock, Target: target, ReadOnly: false });
      stubs.push(target);
      // As BuildKit: the first agent is the command's SSH_AUTH_SOCK.
      if (sshCount === 1) env.push(`SSH_AUTH_SOCK=${target}`);
      return;
    }
    if (m.type === 'secret') {
      if (!secrets) throw new NotImplementedError('RUN --mount=type=secret is not supported by this Berth version yet with the legacy builder: build with docker buildx (BuildKit), which passes secrets');
      const id = m.fields.get('id') as string;
      const value = await secrets.secret(id);
      const envName = m.fields.get('env');
      key.push(`secret:${id}:${m.target}:${envName ?? ''}`);
      if (value === null) {
        if (truthy(m.fields.get('required'))) throw new InvalidParameterError(`secret ${id}: not found`);
        return;
      }
      if (envName) env.push(`${envName}=${value.toString('utf8')}`);
      if (m.target === '') return;
      await mkdir(secrets.dir, { recursive: true, mode: 0o700 });
      const file = join(secrets.dir, createHash('sha256').update(`${id}\0${m.target}`).digest('hex'));
      await writeFile(file, value, { mode: 0o600 });
      await chmod(file, parseInt(m.fields.get('mode') ?? '400', 8));
      await chown(file, Number(m.fields.get('uid') ?? 0), Number(m.fields.get('gid') ?? 0));
      out.push({ Type: 'bind', Source: file, Target: m.target, ReadOnly: true });
      stubs.push(m.target);
    } else if (m.type === 'tmpfs') {
      const size = Number(m.fields.get('size') ?? 0);
      out.push({ Type: 'tmpfs', Target: m.target, ...(size > 0 ? { TmpfsOptions: { SizeBytes: size } } : {}) });
      key.push(`tmpfs:${m.target}:${size}`);
    } else if (m.type === 'bind') {
      const source = m.fields.get('source') ?? m.fields.get('src') ?? '.';
      const [item] = await context.resolve(source, 'RUN --mount');
      const abs = item?.abs ?? (await resolveInRoot(context.root, source));
      const rw = truthy(m.fields.get('rw')) || truthy(m.fields.get('readwrite'));
      // The step may write into the context: what was known of it (digests, a reuse) no longer holds.
      if (rw) context.taint();
      out.push({ Type: 'bind', Source: abs, Target: m.target, ReadOnly: !rw });
      key.push(`bind:${m.target}:${rw}:${item ? await context.hashItem(item) : ''}`);
    } else {
      const id = m.fields.get('id') ?? m.target;
      const dir = join(cacheDir, createHash('sha256').update(id).digest('hex'));
      if (!(await lstat(dir).catch(() => null))) {
        await mkdir(dir, { recursive: true });
        await chmod(dir, parseInt(m.fields.get('mode') ?? '755', 8));
        await chown(dir, Number(m.fields.get('uid') ?? 0), Number(m.fields.get('gid') ?? 0));
        // Its name for `docker buildx du` (the directory is named by a hash of it).
        await mkdir(join(cacheDir, '..', 'cache-mount-ids'), { recursive: true });
        await writeFile(join(cacheDir, '..', 'cache-mount-ids', posix.basename(dir)), `${id} (${m.target})`);
      }
      out.push({ Type: 'bind', Source: dir, Target: m.target, ReadOnly: false });
      key.push(`cache:${m.target}`);
    }
  }
}

/** A unix socket in the step's private dir; each connection to it is forwarded to the client's agent. */
async function serveAgent(path: string, agent: SshAgent): Promise<Server> {
  const server = createServer((conn) => forward(conn, agent.connect()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

function forward(conn: Socket, ch: Channel<Buffer>): void {
  conn.on('data', (chunk: Buffer) => {
    conn.pause();
    ch.send(chunk).then(
      () => conn.resume(),
      () => conn.destroy(),
    );
  });
  conn.on('end', () => ch.closeSend());
  conn.on('error', () => ch.cancel());
  void (async () => {
    try {
      for (let data = await ch.recv(); data !== null; data = await ch.recv()) {
        if (!conn.write(data)) await once(conn, 'drain');
      }
      conn.end();
    } catch {
      conn.destroy();
    }
  })();
}
