import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, REPO_ROOT, run, TestDaemon, type RunResult } from './test-daemon.js';

/**
 * Clients nobody here wrote (compose v2 and v1, testcontainers), driving a daemon of the test's
 * own. scripts/install-test-clients.sh puts them in place; see docs/compatibility.md.
 */

/** Debian trixie's docker-compose 2.26.1 package, unpacked (not installed): a docker CLI plugin. */
export const COMPOSE_V2_PLUGIN = join(REPO_ROOT, '.cache/test-clients/docker-compose-2.26.1/usr/libexec/docker/cli-plugins/docker-compose');
/** Debian bookworm's docker-compose 1.29.2 (Python), from apt. */
export const COMPOSE_V1 = '/usr/bin/docker-compose';

/** Fails with the way to fix it when a client is not installed, rather than skipping silently. */
export function requireTool(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/install-test-clients.sh (as root) first`);
}

/**
 * The engine the outside clients drive: a TestDaemon with busybox, or, to compare, whatever
 * daemon BERTH_OUTSIDE_TARGET_HOST names (e.g. a private dockerd with busybox loaded; never the
 * system one). Its DOCKER_CONFIG is private and holds the compose v2 plugin, so the machine's
 * docker CLI is left as it is.
 */
export interface OutsideTarget {
  host: string;
  /** A scratch directory of the test's own, removed by stop(). */
  scratch: string;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  docker(args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startOutsideTarget(): Promise<OutsideTarget> {
  requireTool(COMPOSE_V2_PLUGIN);
  const other = process.env.BERTH_OUTSIDE_TARGET_HOST;
  const daemon = other ? undefined : await TestDaemon.startWithBusybox();
  const scratch = daemon ? join(daemon.root, 'outside') : await mkdtemp(join(tmpdir(), 'berth-outside-'));
  const dockerConfig = join(scratch, 'docker-config');
  await mkdir(join(dockerConfig, 'cli-plugins'), { recursive: true });
  await symlink(COMPOSE_V2_PLUGIN, join(dockerConfig, 'cli-plugins', 'docker-compose'));
  const host = daemon?.host ?? (other as string);
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    DOCKER_HOST: host,
    DOCKER_CONFIG: dockerConfig,
    // The classic builder (POST /build) until Berth speaks BuildKit's session protocol.
    DOCKER_BUILDKIT: '0',
    COMPOSE_DOCKER_CLI_BUILD: '0',
    ...extra,
  });
  return {
    host,
    scratch,
    env,
    docker: (args, opts = {}) => runIn(DOCKER, args, env(opts.env), opts.cwd),
    stop: async () => {
      if (daemon) await daemon.stop();
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
