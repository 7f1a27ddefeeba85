import type { Command } from 'commander';
import type { CliContext } from './cli-context.js';

/** Repeated flags (`--filter a --filter b`, `-c X -c Y`) collect into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--filter key=value` flags → docker's `filters` JSON (`{"key":{"value":true}}`). */
export function filtersJson(flags: string[] | undefined): string | undefined {
  if (!flags || flags.length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[f.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}

/** A usage mistake the CLI itself finds: docker prints it and exits 125. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type CommandRegistrar = (parent: Command, ctx: CliContext) => Command;
