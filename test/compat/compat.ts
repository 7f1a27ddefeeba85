/**
 * What every compat area file shares: one engine per file (see target.ts), started before its
 * cases and removed after them even when they fail, and the assertions the cases make on the
 * docker CLI's exit code, stdout and stderr.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { RunResult } from '../helpers/test-daemon.js';
import { ON_BERTH, startTarget, TARGET, type Target } from './target.js';

export { ON_BERTH, ON_DOCKER, TARGET } from './target.js';
import { ON_DOCKER } from './target.js';

/**
 * The reference dockerd here is Debian's docker.io 20.10 (API 1.41), older than the v28 CLI. Where
 * Docker itself changed behaviour since (listed in docs/compatibility.md), Berth follows current
 * Docker and a case accepts 20.10's old answer only on that target.
 */
export const ON_DOCKER_20 = ON_DOCKER;
export type { Target } from './target.js';

/** Declares one area of the suite; `body` defines its cases with `t()` giving the running engine. */
export function compatArea(area: string, body: (t: () => Target) => void): void {
  describe(`compat ${area} [${TARGET}]`, () => {
    let target: Target | undefined;
    before(async () => {
      target = await startTarget();
    });
    after(async () => {
      await target?.stop();
    });
    body(() => {
      if (!target) throw new Error('the engine did not start');
      return target;
    });
  });
}

/**
 * A case for a feature another issue is bringing to Berth: it runs on docker (so its expectation
 * is already proven) and is skipped on Berth, with the reason, until that issue lands.
 */
export function pending(issue: number, what: string): { skip: string | false } {
  return { skip: ON_BERTH ? `pending on Berth: ${what} (issue ${issue})` : false };
}

/** Asserts the command succeeded and returns its result. */
export function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Asserts the command failed with `code` and that stderr matches `message`. */
export function fails(r: RunResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}: stdout=${JSON.stringify(r.stdout)} stderr=${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, message);
}

/** stdout's non-empty lines. */
export function lines(r: RunResult): string[] {
  return r.stdout.split('\n').filter((l) => l !== '');
}

let counter = 0;
/** A container/volume/image name unique to this run and case. */
export function uniq(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}
