import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok } from '../../helpers/expect.js';
import { REPO_ROOT, run, type RunResult } from '../../helpers/test-daemon.js';
import { BUILDX_PLUGIN, DOCKER_CLI_20, plain, requireTool, runIn, startOutsideTarget, type OutsideTarget } from '../../helpers/outside-tools.js';

/**
 * Debian trixie's docker-buildx 0.13.1 (a docker CLI plugin, "docker" driver: POST /grpc and
 * /session on the daemon) and compose v2 build the project's BuildKit fixtures
 * (test/fixtures/buildkit/<case>/: a Dockerfile, its context and case.json, what the image must
 * hold) through `docker build` (buildx by the plugin's alias) and `docker buildx build --load`,
 * and get what the classic builder (DOCKER_BUILDKIT=0, POST /build) gives. Also: a second build
 * is served from cache, --output local/tar, `buildx du`/`prune`, `compose build`/`up --build`.
 *
 * BERTH_OUTSIDE_TARGET=docker runs it against a private dockerd 20.10 (the reference; its
 * BuildKit is v0.8 with the Dockerfile frontend 1.2) to show the test asks what Docker does.
 */

const FIXTURES = join(REPO_ROOT, 'test/fixtures/buildkit');
const ON_DOCKERD = process.env.BERTH_OUTSIDE_TARGET === 'docker';

/** test/fixtures/buildkit/<case>/case.json. */
interface BuildCase {
  about: string;
  /** Which classic builders (POST /build) can build it: dockerd's has no RUN --mount nor heredocs, none has secrets. */
  classic: 'both' | 'berth' | 'none';
  buildArgs?: Record<string, string>;
  target?: string;
  /** A secret id: the test passes a random value with --secret id=…,src=…. */
  secret?: string;
  /** The file the cache-mount fixture copies its cache's log to; it depends on earlier builds, so it is not compared across builds. */
  cacheMount?: string;
  /** Lines the RUN steps print: a fresh build shows them. */
  runOutput?: string[];
  /** Exact file contents; {{sha256}} and {{length}} stand for the secret's. */
  files?: Record<string, string>;
  absent?: string[];
  /** Config fields; Env lists entries that must be present, the others must be equal. */
  config?: Partial<PickedConfig>;
  /** The build must fail, with these lines and an error matching `error` (a regex) in its output. */
  fails?: { output: string[]; notOutput?: string[]; error: string; excerpt?: string };
}

interface PickedConfig {
  Env: string[] | null;
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  WorkingDir: string | null;
  Labels: Record<string, string> | null;
  User: string | null;
  ExposedPorts: Record<string, object> | null;
}
const CONFIG_FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'Labels', 'User', 'ExposedPorts'] as const;

/**
 * What dockerd 20.10's BuildKit cannot build: its Dockerfile frontend is 1.2 (heredocs came in
 * 1.4) and a newer one would be pulled from Docker Hub (`# syntax=`), which a test cannot reach.
 */
const DOCKERD_20_LACKS: Record<string, string> = {
  heredocs: "dockerd 20.10's BuildKit (Dockerfile frontend 1.2) has no heredocs",
};

const CASES: Array<[string, BuildCase]> = [];
for (const e of (await readdir(FIXTURES, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
  if (e.isDirectory()) CASES.push([e.name, JSON.parse(await readFile(join(FIXTURES, e.name, 'case.json'), 'utf8')) as BuildCase]);
}
const prefix = `bx${process.pid}`;

let t: OutsideTarget;
/** Every tag and compose project a test made, removed in after() whatever failed. */
const tags = new Set<string>();
const projects = new Set<string>();

before(async () => {
  requireTool(BUILDX_PLUGIN);
  t = await startOutsideTarget({ buildkit: true });
});
after(async () => {
  if (!t) return;
  for (const p of projects) await t.docker(['compose', '-p', p, 'down', '-v', '--rmi', 'local', '-t', '1'], { cwd: join(t.scratch, p) }).catch(() => undefined);
  if (tags.size > 0) await t.docker(['rmi', '-f', ...tags]).catch(() => undefined);
  await t.stop();
});

const CLASSIC = { DOCKER_BUILDKIT: '0' };
type Path = 'alias' | 'load' | 'classic';

/** `docker build` (buildx by alias), `docker buildx build --load`, or the classic builder, with progress as plain text. */
async function build(path: Path, dir: string, tag: string, args: string[]): Promise<RunResult & { output: string }> {
  tags.add(tag);
  const argv = path === 'load' ? ['buildx', 'build', '--load', '--progress=plain'] : path === 'alias' ? ['build', '--progress=plain'] : ['build'];
  const r = await t.docker([...argv, '-t', tag, ...args, '.'], { cwd: dir, ...(path === 'classic' ? { env: CLASSIC } : {}) });
  return { ...r, output: plain(r.stdout + r.stderr) };
}

function buildArgs(c: BuildCase, secretFile: string, extra: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries({ ...c.buildArgs, ...extra })) out.push('--build-arg', `${k}=${v}`);
  if (c.target) out.push('--target', c.target);
  if (c.secret) out.push('--secret', `id=${c.secret},src=${secretFile}`);
  return out;
}

interface Probe {
  /** path → file content, '<absent>' or '<not a file>'. */
  files: Record<string, string>;
  config: PickedConfig;
  id: string;
}

/** What the image holds at `paths` (one `docker run` as root, no network) and its config. */
async function probe(image: string, paths: string[]): Promise<Probe> {
  const script = paths.map((p) => `p='${p}'; if [ -f "$p" ]; then printf '%s\\tfile\\t%s\\n' "$p" "$(base64 "$p" | tr -d '\\n')"; elif [ -e "$p" ]; then printf '%s\\tother\\t\\n' "$p"; else printf '%s\\tabsent\\t\\n' "$p"; fi`).join('\n');
  const files: Record<string, string> = {};
  if (paths.length > 0) {
    const r = ok(await t.docker(['run', '--rm', '--network', 'none', '--user', '0', '--entrypoint', '/bin/sh', image, '-c', script]), `run ${image}`);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [p = '', kind, b64 = ''] = line.split('\t');
      files[p] = kind === 'file' ? Buffer.from(b64, 'base64').toString() : `<${kind === 'absent' ? 'absent' : 'not a file'}>`;
    }
  }
  const raw = JSON.parse(ok(await t.docker(['image', 'inspect', '--format', '{{json .Config}}', image]), `inspect ${image}`).stdout) as Record<string, unknown>;
  const config = Object.fromEntries(CONFIG_FIELDS.map((f) => {
    const v = raw[f];
    const empty = v === undefined || v === null || v === '' || (typeof v === 'object' && Object.keys(v).length === 0);
    return [f, empty ? null : v];
  })) as unknown as PickedConfig;
  const id = ok(await t.docker(['image', 'inspect', '--format', '{{.Id}}', image]), `inspect ${image}`).stdout.trim();
  return { files, config, id };
}

function expectCase(c: BuildCase, p: Probe, secret: string, what: string): void {
  const sub = (s: string): string => s.replace('{{sha256}}', createHash('sha256').update(secret).digest('hex')).replace('{{length}}', String(Buffer.byteLength(secret)));
  for (const [path, content] of Object.entries(c.files ?? {})) assert.equal(p.files[path], sub(content), `${what}: ${path}`);
  for (const path of c.absent ?? []) assert.equal(p.files[path], '<absent>', `${what}: ${path} must not be in the image`);
  for (const [field, want] of Object.entries(c.config ?? {})) {
    const got = p.config[field as keyof PickedConfig];
    if (field === 'Env') for (const e of want as string[]) assert.ok((got as string[] | null)?.includes(e), `${what}: Env has ${e}: ${JSON.stringify(got)}`);
    else assert.deepEqual(got, want, `${what}: ${field}`);
  }
}

/** The same files (but the cache mount's log, which depends on earlier builds) and config. */
function sameResult(c: BuildCase, a: Probe, b: Probe, what: string): void {
  const files = (p: Probe): Record<string, string> => Object.fromEntries(Object.entries(p.files).filter(([k]) => k !== c.cacheMount));
  assert.deepEqual(files(b), files(a), `${what}: files`);
  assert.deepEqual(b.config, a.config, `${what}: config`);
}

/** Whether plain progress shows `line` as a step's log ("#5 0.145 line"), not just in a step's name. */
function logged(output: string, line: string): boolean {
  return output.split('\n').some((l) => /^#\d+ \d+\.\d+ /.test(l) && l.replace(/^#\d+ \d+\.\d+ /, '') === line);
}

/** Whether a step printed `line`: as a log in buildx's plain progress, or a line of its own from the classic builder. */
function shown(output: string, line: string): boolean {
  return logged(output, line) || output.split('\n').includes(line);
}

/** The step numbers of the RUN steps in buildx's plain progress ("#5 [2/2] RUN …"). */
function runSteps(output: string): string[] {
  return [...output.matchAll(/^#(\d+) \[[^\]]*\] RUN /gm)].map((m) => m[1] as string);
}

for (const [name, c] of CASES) {
  describe(`buildkit fixture ${name}`, () => {
    const dir = join(FIXTURES, name);
    const tag = (p: string): string => `${prefix}-${name}-${p}`;
    const paths = [...Object.keys(c.files ?? {}), ...(c.absent ?? []), ...(c.cacheMount ? [c.cacheMount] : [])];
    const secret = `berth-secret-${randomBytes(12).toString('hex')}`;
    let secretFile = '';
    let first: Probe | undefined;
    const dockerdLacks = ON_DOCKERD ? DOCKERD_20_LACKS[name] : undefined;
    const opts = dockerdLacks ? { todo: dockerdLacks } : {};

    before(async () => {
      secretFile = join(t.scratch, `secret-${name}`);
      await writeFile(secretFile, secret, { mode: 0o600 });
    });

    if (c.fails) {
      const fails = c.fails;
      for (const path of ['alias', 'load', 'classic'] as const) {
        test(`${path}: the build fails, showing the RUN's output and exit code`, opts, async () => {
          const r = await build(path, dir, tag(path), buildArgs(c, secretFile));
          assert.notEqual(r.code, 0, `the build must fail:\n${r.output}`);
          for (const line of fails.output) assert.ok(shown(r.output, line), `output shows "${line}":\n${r.output}`);
          for (const line of fails.notOutput ?? []) assert.ok(!shown(r.output, line), `output must not show "${line}":\n${r.output}`);
          assert.match(r.output, new RegExp(fails.error), 'the error is shown');
          // buildx prints the Dockerfile around the failed step from the error's details (as
          // BuildKit sends them; dockerd 20.10's BuildKit 0.8 sends none for a failed RUN).
          if (path !== 'classic' && fails.excerpt && t.engine === 'berth') assert.ok(r.output.includes(fails.excerpt), `the Dockerfile excerpt:\n${r.output}`);
          assert.notEqual((await t.docker(['image', 'inspect', tag(path)])).code, 0, 'a failed build tags nothing');
        });
      }
      return;
    }

    const runid = (n: number): Record<string, string> => (c.cacheMount ? { RUNID: `${name}-${n}-${randomBytes(4).toString('hex')}` } : {});
    const first1 = runid(1);

    test('docker build (buildx by alias): the image holds what the fixture says, the RUN output shows', opts, async () => {
      const r = await build('alias', dir, tag('alias'), buildArgs(c, secretFile, first1));
      assert.doesNotMatch(r.output, /using docker-container driver/, `buildx fell back to a BuildKit container: the daemon did not upgrade POST /grpc\n${r.output}`);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /^#\d+ building with "default" instance using docker driver$/m, 'buildx, not the classic builder, built it');
      for (const line of c.runOutput ?? []) assert.ok(logged(r.output, line), `RUN output "${line}" shows:\n${r.output}`);
      assert.ok(runSteps(r.output).length > 0, `plain progress shows the RUN steps:\n${r.output}`);
      first = await probe(tag('alias'), paths);
      expectCase(c, first, secret, 'docker build');
      if (c.cacheMount) assert.ok(first.files[c.cacheMount]?.endsWith(`${first1.RUNID}\n`), `${c.cacheMount}: ${first.files[c.cacheMount]}`);
    });

    test('the same build again is served from cache: every RUN step CACHED, no RUN output, the same image', opts, async () => {
      assert.ok(first, 'the first build passed');
      const r = await build('alias', dir, tag('alias'), buildArgs(c, secretFile, first1));
      assert.equal(r.code, 0, r.output);
      const steps = runSteps(r.output);
      assert.ok(steps.length > 0, r.output);
      for (const n of steps) assert.match(r.output, new RegExp(`^#${n} CACHED$`, 'm'), `step #${n} is CACHED:\n${r.output}`);
      for (const line of c.runOutput ?? []) assert.ok(!logged(r.output, line), `a cached build runs nothing ("${line}"):\n${r.output}`);
      assert.equal((await probe(tag('alias'), [])).id, first.id, 'the cached build gives the same image');
    });

    if (c.cacheMount) {
      const mount = c.cacheMount;
      test('RUN --mount=type=cache: the next build (a new RUNID) sees what the first left in the cache', opts, async () => {
        const second = runid(2);
        const r = await build('alias', dir, tag('alias2'), buildArgs(c, secretFile, second));
        assert.equal(r.code, 0, r.output);
        const p = await probe(tag('alias2'), paths);
        assert.ok(p.files[mount]?.endsWith(`${first1.RUNID}\n${second.RUNID}\n`), `${mount} has both builds' lines: ${JSON.stringify(p.files[mount])}`);
        expectCase(c, p, secret, 'second build');
      });
    }

    test('docker buildx build --load gives the same image contents and config', opts, async () => {
      assert.ok(first, 'the first build passed');
      const r = await build('load', dir, tag('load'), buildArgs(c, secretFile, runid(3)));
      assert.equal(r.code, 0, r.output);
      const p = await probe(tag('load'), paths);
      expectCase(c, p, secret, 'buildx build --load');
      sameResult(c, first, p, 'buildx build --load vs docker build');
    });

    if (c.secret) {
      test('the secret is in no layer of the image', opts, async () => {
        const file = join(t.scratch, `${name}-save.tar`);
        for (const image of [tag('alias'), tag('load')]) {
          ok(await t.docker(['save', '-o', file, image]), `save ${image}`);
          assert.ok(!(await readFile(file)).includes(secret), `${image} holds the secret's value`);
        }
      });
    }

    const classicSkip = c.classic === 'none' ? 'the classic builder has no --secret' : c.classic === 'berth' && ON_DOCKERD ? "dockerd's classic builder has no RUN --mount nor heredocs" : false;
    test('the classic builder (DOCKER_BUILDKIT=0, POST /build) gives the same image contents and config', { skip: classicSkip }, async () => {
      const r = await build('classic', dir, tag('classic'), buildArgs(c, secretFile, runid(4)));
      assert.equal(r.code, 0, r.output);
      assert.doesNotMatch(r.output, /building with "default" instance/, 'the classic builder built it');
      const p = await probe(tag('classic'), paths);
      expectCase(c, p, secret, 'classic builder');
      assert.ok(first, 'the classic build holds what the fixture says; the buildx build to compare it with failed');
      sameResult(c, p, first, 'docker build (buildx) vs the classic builder');
    });
  });
}

describe('buildx exporters, disk usage and prune', () => {
  const dir = join(FIXTURES, 'multi-stage');

  test('--output type=local,dest=DIR writes the image root into DIR', async () => {
    const dest = join(t.scratch, 'out-local');
    const r = await t.docker(['buildx', 'build', '--progress=plain', '--output', `type=local,dest=${dest}`, '.'], { cwd: dir });
    assert.equal(r.code, 0, plain(r.stderr));
    assert.equal(await readFile(join(dest, 'app/GREETING'), 'utf8'), 'HELLO FROM THE CONTEXT\n');
    assert.equal(await readFile(join(dest, 'app/stamp'), 'utf8'), 'built\n');
    assert.ok((await readdir(join(dest, 'bin'))).includes('busybox'), 'the base image is in the output too');
  });

  test('--output type=tar,dest=FILE writes a tar of the image root', async () => {
    const file = join(t.scratch, 'out.tar');
    const r = await t.docker(['buildx', 'build', '--progress=plain', '--output', `type=tar,dest=${file}`, '.'], { cwd: dir });
    assert.equal(r.code, 0, plain(r.stderr));
    const list = ok(await run('tar', ['-tf', file]), 'tar -t').stdout.split('\n');
    assert.ok(list.includes('app/GREETING') && list.includes('bin/busybox'), `tar lists app/GREETING and bin/busybox: ${list.slice(0, 20).join(' ')}`);
    assert.equal(ok(await run('tar', ['-xOf', file, 'app/GREETING']), 'tar -xO').stdout, 'HELLO FROM THE CONTEXT\n');
  });

  // buildx offers these exporters on the docker driver only when the worker names a snapshotter
  // (the containerd image store); dockerd 20.10's does not, and buildx refuses before asking it.
  const noDockerExporter = ON_DOCKERD && 'buildx: "Docker exporter is not supported for the docker driver" on dockerd 20.10';
  test('--output type=docker,dest=FILE writes an archive docker load takes; type=oci,dest=FILE an OCI layout naming the image', { skip: noDockerExporter }, async () => {
    const tg = `${prefix}-exported:1`;
    tags.add(tg);
    const archive = join(t.scratch, 'out-docker.tar');
    ok(await t.docker(['buildx', 'build', '--progress=plain', '--output', `type=docker,dest=${archive},name=${tg}`, '.'], { cwd: dir }), 'build -o type=docker');
    assert.match(ok(await t.docker(['load', '-i', archive]), 'docker load').stdout, new RegExp(`Loaded image: ${tg}`));
    assert.equal(ok(await t.docker(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', tg, '/app/stamp']), 'run the loaded image').stdout, 'built\n');
    const layout = join(t.scratch, 'out-oci.tar');
    ok(await t.docker(['buildx', 'build', '--progress=plain', '--output', `type=oci,dest=${layout},name=${tg}`, '.'], { cwd: dir }), 'build -o type=oci');
    const index = JSON.parse(ok(await run('tar', ['-xOf', layout, 'index.json']), 'index.json').stdout) as { manifests: Array<{ mediaType: string; annotations?: Record<string, string> }> };
    assert.equal(index.manifests.length, 1, JSON.stringify(index));
    assert.match(index.manifests[0]?.mediaType ?? '', /manifest/, JSON.stringify(index));
    assert.match(index.manifests[0]?.annotations?.['io.containerd.image.name'] ?? '', new RegExp(`${prefix}-exported:1$`), JSON.stringify(index));
    assert.equal(ok(await run('tar', ['-xOf', layout, 'oci-layout']), 'oci-layout').stdout, '{"imageLayoutVersion":"1.0.0"}');
  });

  test('--cache-to a cache Berth does not write: the build succeeds and the progress says what was ignored', { skip: ON_DOCKERD && 'dockerd 20.10 writes these caches' }, async () => {
    const r = await t.docker(['buildx', 'build', '--progress=plain', '--cache-to', `type=local,dest=${join(t.scratch, 'cache-out')}`, '--output', `type=local,dest=${join(t.scratch, 'cache-run')}`, '.'], { cwd: dir });
    const out = plain(r.stdout + r.stderr);
    assert.equal(r.code, 0, out);
    assert.match(out, /^#\d+ \[warning\] cache-to type=local dest=\S+: ignored, Berth's own build cache is kept in the daemon$/m, out);
  });

  test('buildx du lists the build cache; prune -f and prune -af empty it; the next build runs its steps again', async () => {
    const tg = `${prefix}-prune`;
    tags.add(tg);
    ok(await t.docker(['buildx', 'build', '--load', '--progress=plain', '-t', tg, '.'], { cwd: dir }), 'build');
    const du = ok(await t.docker(['buildx', 'du']), 'buildx du').stdout;
    assert.match(du, /^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED$/m, du);
    assert.match(du, /^[a-z0-9]{25}\*?\s+(true|false)\s/m, `du lists cache records:\n${du}`);
    assert.match(du, /^Total:\s+\S+/m, du);
    const pruned = ok(await t.docker(['buildx', 'prune', '-f']), 'buildx prune -f').stdout;
    assert.match(pruned, /^Total:\s+\S+/m, pruned);
    ok(await t.docker(['buildx', 'prune', '-af']), 'buildx prune -af');
    const emptied = ok(await t.docker(['buildx', 'du']), 'buildx du after prune -af').stdout;
    assert.match(emptied, /^Total:\s+0B$/m, emptied);
    const again = await t.docker(['buildx', 'build', '--load', '--progress=plain', '-t', tg, '.'], { cwd: dir });
    assert.equal(again.code, 0, plain(again.stderr));
    assert.ok(logged(plain(again.stderr), 'multi-stage: final stage ran'), `after prune -af the RUN steps run again:\n${plain(again.stderr)}`);
  });
});

describe('compose v2 builds through BuildKit (no DOCKER_BUILDKIT=0)', () => {
  const project = `${prefix}compose`;
  let dir: string;
  const compose = (args: string[]): Promise<RunResult> => t.docker(['compose', '-p', project, ...args], { cwd: dir });

  before(async () => {
    projects.add(project);
    dir = join(t.scratch, project);
    await mkdir(join(dir, 'app'), { recursive: true });
    await writeFile(join(dir, 'compose.yaml'), 'services:\n  app:\n    build:\n      context: ./app\n      target: runtime\n      args:\n        WORD: composed\n');
    await writeFile(join(dir, 'app/Dockerfile'), 'FROM busybox AS runtime\nARG WORD\nRUN echo "compose: built $WORD" && echo "$WORD by compose" > /built\nCMD ["cat", "/built"]\n\nFROM runtime AS other\nRUN echo never > /never\n');
  });

  test('docker compose build builds the service image with buildx', async () => {
    assert.equal(t.env().DOCKER_BUILDKIT, undefined, 'no DOCKER_BUILDKIT in the environment');
    const r = await compose(['--progress', 'plain', 'build']);
    const out = plain(r.stdout + r.stderr);
    assert.equal(r.code, 0, out);
    assert.match(out, /^#\d+ \[app [^\]]*\] RUN /m, `BuildKit's progress, not POST /build's:\n${out}`);
    assert.ok(logged(out, 'compose: built composed'), out);
    const ran = ok(await t.docker(['run', '--rm', '--network', 'none', `${project}-app`]), 'run the built image');
    assert.equal(ran.stdout, 'composed by compose\n');
  });

  test('docker compose up --build builds and runs the service', async () => {
    await writeFile(join(dir, 'app/Dockerfile'), 'FROM busybox AS runtime\nARG WORD\nRUN echo "$WORD, rebuilt by up" > /built\nCMD ["cat", "/built"]\n');
    const r = await compose(['up', '--build', '--abort-on-container-exit']);
    const out = plain(r.stdout + r.stderr);
    assert.equal(r.code, 0, out);
    assert.ok(out.includes('composed, rebuilt by up'), `the rebuilt image ran:\n${out}`);
  });
});

describe('a docker CLI from before buildx (20.10) builds through BuildKit: POST /build?version=2 with a session', () => {
  test('the build runs with BuildKit progress, the second is CACHED, the image is tagged and runs', async () => {
    requireTool(DOCKER_CLI_20);
    const dir = join(t.scratch, 'cli20');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY word /word\nRUN echo "cli20: $(cat /word)"\nCMD ["cat", "/word"]\n');
    await writeFile(join(dir, 'word'), 'old-cli\n');
    const tag = `${prefix}-cli20`;
    tags.add(tag);
    // Its own config dir: no buildx plugin there, so it is the CLI's built-in BuildKit client.
    // DOCKER_BUILDKIT=1: dockerd 20.10 says Builder-Version 1 unless configured (Berth says 2).
    const env = { ...t.env(), DOCKER_CONFIG: join(dir, '.docker'), DOCKER_BUILDKIT: '1' };
    const first = await runIn(DOCKER_CLI_20, ['build', '--progress=plain', '-t', tag, '.'], env, dir);
    const out = plain(first.stdout + first.stderr);
    assert.equal(first.code, 0, out);
    assert.ok(logged(out, 'cli20: old-cli'), `the RUN output in BuildKit's progress:\n${out}`);
    const again = plain((await runIn(DOCKER_CLI_20, ['build', '--progress=plain', '-t', tag, '.'], env, dir)).stderr);
    assert.match(again, /^#\d+ CACHED$/m, again);
    assert.ok(!logged(again, 'cli20: old-cli'), `no RUN on the cached build:\n${again}`);
    const ran = ok(await t.docker(['run', '--rm', '--network', 'none', tag]), 'run the image the old CLI built');
    assert.equal(ran.stdout, 'old-cli\n');
  });
});

describe('RUN --mount=type=ssh reaches the SSH agent buildx forwards (--ssh)', () => {
  let dir: string;
  let agent: ChildProcess | undefined;
  let sock: string;

  before(async () => {
    requireTool('/usr/bin/ssh-agent');
    dir = join(t.scratch, 'ssh');
    await mkdir(dir, { recursive: true });
    // busybox has no unix-socket client: a static probe asks the agent for its identities.
    ok(await run('/usr/bin/gcc', ['-static', '-O2', '-o', join(dir, 'probe'), join(REPO_ROOT, 'test/fixtures/buildkit-ssh/agent-probe.c')]), 'build the agent probe');
    sock = join(dir, 'agent.sock');
    agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    ok(await run('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]), 'ssh-keygen');
    ok(await run('/usr/bin/ssh-add', [join(dir, 'key')], { env: { ...process.env, SSH_AUTH_SOCK: sock } }), 'ssh-add');
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY probe /probe\nRUN --mount=type=ssh /probe && echo "sock was $SSH_AUTH_SOCK"\n');
  });
  after(() => {
    agent?.kill();
  });

  test('the step talks to the agent through the session; nothing of it stays in the image', async () => {
    const tag = `${prefix}-ssh`;
    tags.add(tag);
    const r = await t.docker(['buildx', 'build', '--load', '--progress=plain', '--ssh', `default=${sock}`, '-t', tag, '.'], { cwd: dir });
    const out = plain(r.stdout + r.stderr);
    assert.equal(r.code, 0, out);
    assert.ok(logged(out, 'agent answered type 12 with 1 identities'), `the agent's answer (one key) in the step's output:\n${out}`);
    assert.ok(logged(out, 'sock was /run/buildkit/ssh_agent.0'), out);
    const left = ok(await t.docker(['run', '--rm', '--network', 'none', tag, 'sh', '-c', 'ls -A /run/buildkit 2>/dev/null; echo end']), 'look for the agent socket in the image');
    assert.equal(left.stdout, 'end\n');
  });

  test('a required agent the client does not forward fails the step, naming the flag', async () => {
    await writeFile(join(dir, 'Dockerfile.required'), 'FROM busybox\nRUN --mount=type=ssh,id=work,required=true true\n');
    const r = await t.docker(['buildx', 'build', '--progress=plain', '-f', 'Dockerfile.required', '.'], { cwd: dir });
    assert.notEqual(r.code, 0);
    // dockerd 20.10: "unset ssh forward key work"; Berth also names the flag that would forward it.
    assert.match(plain(r.stderr), /no SSH key "work" forwarded from the client: build with --ssh work=|unset ssh forward key work/, r.stderr);
  });
});

describe('# syntax= names a frontend image: Berth builds with its own Dockerfile frontend', { skip: ON_DOCKERD && 'dockerd would pull the frontend image from Docker Hub' }, () => {
  test('docker/dockerfile builds, saying no image is pulled; another frontend is refused, naming it', async () => {
    const dir = join(t.scratch, 'syntax');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), '# syntax=docker/dockerfile:1.7\nFROM busybox\nRUN echo "syntax: built"\n');
    const ok1 = await t.docker(['buildx', 'build', '--progress=plain', '.'], { cwd: dir });
    const out = plain(ok1.stdout + ok1.stderr);
    assert.equal(ok1.code, 0, out);
    assert.ok(logged(out, 'syntax: built'), out);
    assert.match(out, /\[warning\] # syntax=docker\/dockerfile:1\.7: built with Berth's own Dockerfile frontend/, out);
    await writeFile(join(dir, 'Dockerfile'), '# syntax=example.com/my/frontend:2\nFROM busybox\n');
    const refused = await t.docker(['buildx', 'build', '--progress=plain', '.'], { cwd: dir });
    assert.notEqual(refused.code, 0);
    assert.match(plain(refused.stderr), /# syntax=example\.com\/my\/frontend:2: Berth does not run frontend images/, refused.stderr);
  });
});
