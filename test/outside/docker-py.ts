/**
 * docker-py's own integration suite, run unchanged against a test daemon (issue 24).
 *
 * Two suites:
 * - `5.0.3`: the docker==5.0.3 library with the tests of its PyPI source distribution, at API 1.41
 *   (DOCKER_TEST_API_VERSION), as docker-py 5 ran against Docker 20.10.
 * - `7.1.0`: the docker==7.1.0 library (the latest release) at its default API version, with the
 *   tests of the **7.0.0** source distribution: 7.1.0's sdist (a hatchling build) carries no tests.
 *   The tests changed from 7.0.0 to 7.1.0 only by import order and two assertions (commit no
 *   longer asserts `Container`/`ContainerConfig`; network alias tests expect the short id in
 *   `Aliases`). DOCKER_PY_TESTS=<dir holding tests/integration> runs another copy of the tests,
 *   e.g. 7.1.0's tagged ones exported with `git archive 7.1.0 tests | tar x -C <dir>` — for a
 *   one-off run on a dev machine; nothing of docker-py is ever copied into this repository.
 *
 * Everything is fetched from PyPI with pip at pinned versions (requirements-<suite>.txt, the sdist's
 * sha256 below) into a venv under .berth-test/docker-py (gitignored), made once per requirements
 * file. No registry is reachable, so the images the tests name are made from Berth's bootstrapped
 * busybox (makeImages).
 * Swarm modules and tests that need Docker Hub are deselected by docker-py/deselected.txt.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, run, TestDaemon, type RunResult } from '../helpers/test-daemon.js';
import { startDockerdWithBridge } from '../compat/target.js';

export type SuiteName = '5.0.3' | '7.1.0';
export type EngineName = 'berth' | 'docker';
export type Outcome = 'passed' | 'failed' | 'error' | 'skipped' | 'deselected';

interface Suite {
  /** The sdist whose tests/ are run. */
  testsFrom: { version: string; sha256: string };
  /** DOCKER_TEST_API_VERSION; undefined: the library's default. */
  apiVersion: string | undefined;
}

export const SUITES: Record<SuiteName, Suite> = {
  '5.0.3': { testsFrom: { version: '5.0.3', sha256: 'd916a26b62970e7c2f554110ed6af04c7ccff8e9f81ad17d0d40c75637e227fb' }, apiVersion: '1.41' },
  '7.1.0': { testsFrom: { version: '7.0.0', sha256: '323736fb92cd9418fc5e7133bc953e11a9da04f4483f828b527db553f1e7e5a3' }, apiVersion: undefined },
};


/** A hang fails its test after this long instead of hanging the run (pytest-timeout); the slowest test takes 15 s on dockerd. */
const PER_TEST_TIMEOUT_S = 30;
/** The whole pytest run is killed after this long. */
const RUN_TIMEOUT_MS = 30 * 60_000;

export const LISTS_DIR = join(REPO_ROOT, 'test/outside/docker-py');
const CACHE = join(REPO_ROOT, '.berth-test/docker-py');

export interface TestResult {
  outcome: Outcome;
  /** Seconds. */
  time?: number;
  /** The failure's message (first line of the assertion or exception), or the reason of a skip/deselect. */
  message?: string;
  /** The traceback pytest reported. */
  detail?: string;
}

export interface SuiteRun {
  suite: SuiteName;
  engine: EngineName;
  library: string;
  testsFrom: string;
  apiVersion: string;
  startedAt: string;
  seconds: number;
  counts: Record<Outcome, number>;
  tests: Record<string, TestResult>;
}

/** `<id> <reason>` lines (comments with #, blank lines ignored); a missing reason is an error. */
export async function readList(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const text = await readFile(file, 'utf8');
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: "${line}" has no reason: write "<test id> <why>"`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * pytest's own --deselect rule: an entry deselects every test whose node id starts with it
 * (`…::test_pull` also takes `…::test_pull_streaming`).
 */
export function listed(id: string, list: Map<string, string>): string | undefined {
  for (const [prefix, reason] of list) if (id.startsWith(prefix)) return reason;
  return undefined;
}

function spawnLogged(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; log: string[]; timeoutMs: number; tee?: (s: string) => void }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      opts.log.push(`\n[docker-py harness] killed after ${opts.timeoutMs} ms\n`);
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const take = (b: Buffer): void => {
      opts.log.push(b.toString());
      opts.tee?.(b.toString());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function must(what: string, r: Promise<RunResult>): Promise<RunResult> {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} failed (${res.code}): ${res.stderr || res.stdout}`);
  return res;
}

/** The venv of a suite, made once per content of its requirements file. */
async function venv(suite: SuiteName): Promise<string> {
  const reqFile = join(LISTS_DIR, `requirements-${suite}.txt`);
  const req = await readFile(reqFile);
  const dir = join(CACHE, `venv-${suite}-${createHash('sha256').update(req).digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  // Venvs of earlier versions of the requirements go: one per suite is kept.
  for (const old of await readdir(CACHE).catch(() => [] as string[])) if (old.startsWith(`venv-${suite}-`)) await rm(join(CACHE, old), { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  const python = process.env.BERTH_PYTHON ?? 'python3';
  const made = await run(python, ['-m', 'venv', dir]);
  if (made.code !== 0) throw new Error(`${python} -m venv failed: ${made.stderr}(Debian: apt-get install python3-venv)`);
  await must('pip install', run(join(dir, 'bin/pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', reqFile], { timeoutMs: 600_000 }));
  await must('pip check', run(join(dir, 'bin/pip'), ['check']));
  await writeFile(join(dir, '.complete'), '');
  return dir;
}

/** tests/ of the suite's sdist, downloaded with pip, checked against the pinned sha256, extracted. */
async function testsDir(suite: SuiteName, py: string): Promise<string> {
  const override = process.env.DOCKER_PY_TESTS;
  if (override) {
    if (!existsSync(join(override, 'tests/integration'))) throw new Error(`DOCKER_PY_TESTS=${override} has no tests/integration`);
    return override;
  }
  const { version, sha256 } = SUITES[suite].testsFrom;
  const dir = join(CACHE, `tests-${version}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const dl = join(CACHE, 'sdist');
  const file = join(dl, `docker-${version}.tar.gz`);
  if (!existsSync(file)) {
    await mkdir(dl, { recursive: true });
    await must('pip download', run(join(py, 'bin/pip'), ['download', '--quiet', '--disable-pip-version-check', '--no-binary', ':all:', '--no-deps', '-d', dl, `docker==${version}`], { timeoutMs: 600_000 }));
  }
  const got = createHash('sha256').update(await readFile(file)).digest('hex');
  if (got !== sha256) {
    await rm(file, { force: true });
    throw new Error(`docker-${version}.tar.gz has sha256 ${got}, expected ${sha256}: removed it, not running it`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // Only tests/: the sdist's docker/ package beside them would shadow the installed library.
  await must('tar', run('tar', ['-xzf', file, '-C', dir, '--strip-components=1', `docker-${version}/tests`]));
  await writeFile(join(dir, '.complete'), '');
  return dir;
}

interface Engine {
  host: string;
  docker(args: string[], input?: string): Promise<RunResult>;
  stop(): Promise<void>;
}

async function startBerth(): Promise<Engine> {
  // Configured as the reference dockerd is: no default log options. Berth's default (bounded
  // logs) shows in LogConfig.Config, which docker-py's log-config tests expect to be exactly what
  // they sent, as it is on a dockerd whose daemon.json sets no log-opts.
  const d = await TestDaemon.startWithBusybox(['--log-opt', 'max-size=-1']);
  return { host: d.host, docker: (args, input) => d.docker(args, input !== undefined ? { input } : {}), stop: () => d.stop() };
}

async function startPrivateDockerd(): Promise<Engine> {
  const target = await startDockerdWithBridge();
  return { host: target.host, docker: (args, input) => target.docker(args, input !== undefined ? { input } : {}), stop: () => target.stop() };
}

/**
 * The images the tests name, from busybox: alpine's are built to carry the two things of alpine's
 * the tests use (exec as user `postgres`, exec with workdir `/var/opt`); the rest is busybox as is.
 */
async function makeImages(e: Engine): Promise<void> {
  const dockerfile = [
    'FROM busybox:latest',
    'RUN mkdir -p /var/opt && echo "postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh" >> /etc/passwd && echo "postgres:x:70:" >> /etc/group',
    '',
  ].join('\n');
  await must('docker build alpine', e.docker(['build', '-q', '-t', 'alpine:3.10', '-t', 'alpine:latest', '-'], dockerfile));
  await must('docker tag hello-world', e.docker(['tag', 'busybox:latest', 'hello-world:latest']));
}

/** Removes everything the tests left: containers, volumes, user networks, images. */
async function cleanEngine(e: Engine): Promise<void> {
  const ids = async (args: string[]): Promise<string[]> => (await e.docker(args)).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const containers = await ids(['ps', '-aq']);
  if (containers.length) await e.docker(['rm', '-f', '-v', ...containers]);
  const volumes = await ids(['volume', 'ls', '-q']);
  if (volumes.length) await e.docker(['volume', 'rm', '-f', ...volumes]);
  const networks = await ids(['network', 'ls', '-q', '--filter', 'type=custom']);
  if (networks.length) await e.docker(['network', 'rm', ...networks]);
  const images = await ids(['image', 'ls', '-aq']);
  if (images.length) await e.docker(['rmi', '-f', ...new Set(images)]);
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp|#x?[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    if (e === 'amp') return '&';
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

const RANK: Record<Outcome, number> = { deselected: 0, skipped: 1, passed: 2, failed: 3, error: 4 };

/**
 * pytest's junit XML (xunit2) → test id → result. The ids are pytest's node ids
 * (tests/integration/api_container_test.py::CreateContainerTest::test_create): the classname's
 * dotted module path is turned back into the file that exists under `root`.
 */
export function parseJunit(xml: string, moduleFile: (dotted: string[]) => number): Map<string, TestResult> {
  const out = new Map<string, TestResult>();
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const attrs = new Map([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, unescapeXml(a[2]!)]));
    const parts = (attrs.get('classname') ?? '').split('.');
    const n = moduleFile(parts);
    const id = [`${parts.slice(0, n).join('/')}.py`, ...parts.slice(n), attrs.get('name') ?? ''].join('::');
    const body = m[3] ?? '';
    const child = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    let r: TestResult = { outcome: 'passed' };
    if (child) {
      const message = /message="([^"]*)"/.exec(child[2]!)?.[1];
      r = {
        outcome: child[1] === 'failure' ? 'failed' : child[1] === 'error' ? 'error' : 'skipped',
        ...(message !== undefined ? { message: unescapeXml(message) } : {}),
        ...(child[3] ? { detail: unescapeXml(child[3]) } : {}),
      };
    }
    const time = Number(attrs.get('time'));
    if (Number.isFinite(time)) r.time = time;
    // A teardown error comes as a second entry of the same test: the worse one wins.
    const prev = out.get(id);
    if (!prev || RANK[r.outcome] > RANK[prev.outcome]) out.set(id, r);
  }
  return out;
}

function moduleFileUnder(root: string): (parts: string[]) => number {
  return (parts) => {
    for (let n = parts.length; n > 0; n--) if (existsSync(join(root, `${parts.slice(0, n).join('/')}.py`))) return n;
    return Math.max(1, parts.length - 1);
  };
}

/**
 * Runs one docker-py suite against a fresh engine and returns every test's result, deselected ones
 * included. The pytest output goes to `logFile` when given.
 */
export async function runDockerPy(suite: SuiteName, engine: EngineName, opts: { logFile?: string } = {}): Promise<SuiteRun> {
  const py = await venv(suite);
  const tests = await testsDir(suite, py);
  const deselected = await readList(join(LISTS_DIR, 'deselected.txt'));
  const scratch = await mkdtemp(join(tmpdir(), 'berth-docker-py-'));
  const log: string[] = [];
  const startedAt = new Date();
  let e: Engine;
  try {
    e = engine === 'berth' ? await startBerth() : await startPrivateDockerd();
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
  try {
    await makeImages(e);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      // Tests write docker contexts and config under the home directory: never the host's.
      HOME: join(scratch, 'home'),
      DOCKER_CONFIG: join(scratch, 'home/.docker'),
      DOCKER_HOST: e.host,
      PYTHONDONTWRITEBYTECODE: '1',
      // docker-py 5 compares versions with distutils' StrictVersion, and its conftest turns every
      // warning into an error: setuptools' copy of distutils warns on each use, Python 3.11's own
      // (Debian: python3-distutils) does not.
      SETUPTOOLS_USE_DISTUTILS: 'stdlib',
      ...(SUITES[suite].apiVersion ? { DOCKER_TEST_API_VERSION: SUITES[suite].apiVersion } : {}),
    };
    // docker-py keeps its context store beside the config file, or in the working directory when
    // there is none; test_load_context_without_orchestrator leaves a context behind.
    await mkdir(join(scratch, 'home/.docker'), { recursive: true });
    await writeFile(join(scratch, 'home/.docker/config.json'), '{}\n');
    const junit = join(scratch, 'junit.xml');
    const args = [
      '-m', 'pytest', join(tests, 'tests/integration'),
      '--rootdir', tests, '-c', '/dev/null', '-p', 'no:cacheprovider',
      '-o', 'junit_family=xunit2', `--junitxml=${junit}`,
      `--timeout=${PER_TEST_TIMEOUT_S}`, '-v', '--tb=short', '-rfE',
      ...[...deselected.keys()].flatMap((id) => ['--deselect', id]),
      // A developer's narrower run (pytest -k); CI never sets it.
      ...(process.env.DOCKER_PY_K ? ['-k', process.env.DOCKER_PY_K, '-rxX'] : []),
    ];
    log.push(`[docker-py harness] suite ${suite} on ${engine} (${e.host}); tests from ${tests}\n`);
    // The log is written as pytest goes, so a long or hung run can be watched.
    const tee = opts.logFile ? createWriteStream(opts.logFile) : undefined;
    tee?.write(log.join(''));
    const code = await spawnLogged(join(py, 'bin/python'), args, { cwd: scratch, env, log, timeoutMs: RUN_TIMEOUT_MS, ...(tee ? { tee: (s: string) => tee.write(s) } : {}) });
    if (tee) await new Promise((r) => tee.end(r));
    log.push(`[docker-py harness] pytest exited ${code}\n`);
    if (!existsSync(junit)) throw new Error(`pytest wrote no ${junit} (exit ${code}):\n${log.join('').slice(-4000)}`);
    const results = parseJunit(await readFile(junit, 'utf8'), moduleFileUnder(tests));
    // Deselected tests are not in the junit file: list them from pytest's own collection.
    const collect: string[] = [];
    await spawnLogged(join(py, 'bin/python'), ['-m', 'pytest', join(tests, 'tests/integration'), '--rootdir', tests, '-c', '/dev/null', '-p', 'no:cacheprovider', '--collect-only', '-q'], { cwd: scratch, env, log: collect, timeoutMs: 120_000 });
    for (const id of collect.join('').split('\n').map((s) => s.trim())) {
      if (!id.startsWith('tests/') || results.has(id)) continue;
      const reason = listed(id, deselected);
      if (reason !== undefined) results.set(id, { outcome: 'deselected', message: reason });
    }
    const counts: Record<Outcome, number> = { passed: 0, failed: 0, error: 0, skipped: 0, deselected: 0 };
    for (const r of results.values()) counts[r.outcome]++;
    const library = (await run(join(py, 'bin/python'), ['-c', 'import docker; print(docker.__version__)'])).stdout.trim();
    return {
      suite,
      engine,
      library: `docker==${library}`,
      testsFrom: process.env.DOCKER_PY_TESTS ? `DOCKER_PY_TESTS=${tests}` : `docker-${SUITES[suite].testsFrom.version}.tar.gz (PyPI sdist)`,
      apiVersion: SUITES[suite].apiVersion ?? 'default',
      startedAt: startedAt.toISOString(),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      counts,
      tests: Object.fromEntries([...results].sort(([a], [b]) => a.localeCompare(b))),
    };
  } finally {
    if (opts.logFile) await writeFile(opts.logFile, log.join('')).catch(() => undefined);
    await cleanEngine(e).catch(() => undefined);
    await e.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Module of a test id: tests/integration/api_container_test.py::X::y → api_container_test. */
export function moduleOf(id: string): string {
  return /([^/]+)\.py(?:::|$)/.exec(id)?.[1] ?? id;
}
