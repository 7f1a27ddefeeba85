import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, REPO_ROOT, run, TestDaemon, type RunResult } from './test-daemon.js';
import { startDockerdWithBridge } from '../compat/target.js';

/**
 * Clients nobody here wrote (compose v2 and v1, testcontainers), driving a daemon of the test's
 * own. scripts/install-test-clients.sh puts them in place; see docs/compatibility.md.
 */

/** Debian trixie's docker-compose 2.26.1 package, unpacked (not installed): a docker CLI plugin. */
export const COMPOSE_V2_PLUGIN = join(REPO_ROOT, '.cache/test-clients/docker-compose-2.26.1/usr/libexec/docker/cli-plugins/docker-compose');
/** Debian trixie's docker-buildx 0.13.1 package, unpacked (not installed): a docker CLI plugin. */
export const BUILDX_PLUGIN = join(REPO_ROOT, '.cache/test-clients/docker-buildx-0.13.1/usr/libexec/docker/cli-plugins/docker-buildx');
/** Debian bookworm's docker-compose 1.29.2 (Python), from apt. */
export const COMPOSE_V1 = '/usr/bin/docker-compose';
/** Debian bookworm's docker CLI 20.10 (scripts/install-test-clients.sh): BuildKit without buildx. */
export const DOCKER_CLI_20 = join(REPO_ROOT, '.cache/test-clients/docker.io-20.10.24/usr/bin/docker');

/** Fails with the way to fix it when a client is not installed, rather than skipping silently. */
export function requireTool(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/install-test-clients.sh (as root) first`);
}

/**
 * The engine the outside clients drive: a TestDaemon with busybox; to compare, a private dockerd
 * 20.10 with busybox and a bridge of its own (BERTH_OUTSIDE_TARGET=docker), or whatever daemon
 * BERTH_OUTSIDE_TARGET_HOST names (with busybox loaded; never the system one). Its DOCKER_CONFIG
 * is private and holds the CLI plugins, so the machine's docker CLI is left as it is.
 */
export interface OutsideTarget {
  /** 'docker' when the engine is a private dockerd, 'berth' for a TestDaemon, 'other' for BERTH_OUTSIDE_TARGET_HOST. */
  engine: 'berth' | 'docker' | 'other';
  host: string;
  /** A scratch directory of the test's own, removed by stop(). */
  scratch: string;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  docker(args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult>;
  stop(): Promise<void>;
}

export interface OutsideOptions {
  /**
   * Also link buildx, so `docker build` means `docker buildx build` and compose v2 builds through
   * the daemon's BuildKit (POST /grpc and /session); a call still gets the classic builder
   * (POST /build) with DOCKER_BUILDKIT=0 in its env. Without it every build is classic.
   */
  buildkit?: boolean;
}

/** A DOCKER_CONFIG of the test's own whose cli-plugins holds compose v2 and, when asked, buildx. */
export async function privateDockerConfig(dir: string, opts: OutsideOptions = {}): Promise<string> {
  await mkdir(join(dir, 'cli-plugins'), { recursive: true });
  await symlink(COMPOSE_V2_PLUGIN, join(dir, 'cli-plugins', 'docker-compose'));
  if (opts.buildkit) await symlink(BUILDX_PLUGIN, join(dir, 'cli-plugins', 'docker-buildx'));
  return dir;
}

export async function startOutsideTarget(opts: OutsideOptions = {}): Promise<OutsideTarget> {
  requireTool(COMPOSE_V2_PLUGIN);
  if (opts.buildkit) requireTool(BUILDX_PLUGIN);
  const other = process.env.BERTH_OUTSIDE_TARGET_HOST;
  const dockerd = !other && process.env.BERTH_OUTSIDE_TARGET === 'docker' ? await startDockerdWithBridge() : undefined;
  const daemon = other || dockerd ? undefined : await TestDaemon.startWithBusybox();
  const scratch = daemon ? join(daemon.root, 'outside') : dockerd ? join(dockerd.scratch, 'outside') : await mkdtemp(join(tmpdir(), 'berth-outside-'));
  const dockerConfig = await privateDockerConfig(join(scratch, 'docker-config'), opts);
  const host = daemon?.host ?? dockerd?.host ?? (other as string);
  const base = { ...process.env };
  if (opts.buildkit) {
    // Whatever the caller's shell says, BuildKit is what these runs check.
    delete base.DOCKER_BUILDKIT;
    delete base.COMPOSE_DOCKER_CLI_BUILD;
  }
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...base,
    DOCKER_HOST: host,
    DOCKER_CONFIG: dockerConfig,
    // Without buildx the docker CLI and compose v2 would try BuildKit and fall back with a notice.
    ...(opts.buildkit ? {} : { DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' }),
    ...extra,
  });
  return {
    engine: daemon ? 'berth' : dockerd ? 'docker' : 'other',
    host,
    scratch,
    env,
    docker: (args, o = {}) => runIn(DOCKER, args, env(o.env), o.cwd),
    stop: async () => {
      if (daemon) await daemon.stop();
      else if (dockerd) await dockerd.stop();
      else await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** Runs a client in `cwd` (compose reads its project from there). */
export function runIn(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string, timeoutMs = 120_000): Promise<RunResult> {
  if (cwd === undefined) return run(file, args, { env, timeoutMs });
  // run() has no cwd; `env -C` keeps one spawn path for every client.
  return run('/usr/bin/env', ['-C', cwd, file, ...args], { env, timeoutMs });
}

/** Compose's output carries terminal escapes (erase-line) even when not on a terminal. */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}
