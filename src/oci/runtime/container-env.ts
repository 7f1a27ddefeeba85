/**
 * The process environment docker gives a container (moby container.CreateDaemonEnvironment):
 * PATH, HOSTNAME and (with a tty) TERM first, then the container's own variables, which
 * replace those defaults in place or are appended.
 */
import { DEFAULT_PATH_ENV } from './default-spec.js';

export function containerEnv(env: readonly string[], hostname: string, tty: boolean): string[] {
  const defaults = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) defaults.push('TERM=xterm');
  return replaceOrAppendEnv(defaults, env);
}

/**
 * Applies KEY=VALUE overrides to a list: a known key is replaced where it stands, a new
 * one is appended, and a bare KEY (no "=") removes the variable, as in docker.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((kv, i) => index.set(envKey(kv ?? ''), i));
  for (const kv of overrides) {
    const key = envKey(kv);
    const at = index.get(key);
    if (!kv.includes('=')) {
      if (at !== undefined) out[at] = undefined;
      continue;
    }
    if (at !== undefined && out[at] !== undefined) {
      out[at] = kv;
    } else {
      index.set(key, out.length);
      out.push(kv);
    }
  }
  return out.filter((kv): kv is string => kv !== undefined);
}

function envKey(kv: string): string {
  const eq = kv.indexOf('=');
  return eq < 0 ? kv : kv.slice(0, eq);
}
