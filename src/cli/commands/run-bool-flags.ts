/**
 * Go's pflag accepts `--flag=false` / `--flag=true` (and `-t=false`) for boolean flags, and
 * scripts written for docker use it (`--sig-proxy=false`, `--rm=true`). Commander only knows
 * `--flag` and `--no-flag`, so the arguments before the first positional are rewritten first:
 * a true value becomes `--flag`, a false one `--no-flag` when that exists, else nothing.
 */
import type { Command, Option } from 'commander';

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

function booleanValue(opts: readonly Option[], opt: Option, value: string): string[] | undefined {
  if (TRUE.has(value)) return [opt.long ?? opt.short ?? ''];
  if (!FALSE.has(value)) return undefined;
  const negated = opts.find((o) => o.negate && o.long === `--no-${(opt.long ?? '').slice(2)}`);
  return negated?.long ? [negated.long] : [];
}

/** Rewrites boolean `=value` forms; stops at the first positional, `--`, or a lone `-`. */
export function normalizeBooleanArgs(opts: readonly Option[], argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) {
      out.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const isLong = arg.startsWith('--');
    const opt = isLong ? opts.find((o) => o.long === name) : name.length === 2 ? opts.find((o) => o.short === name) : undefined;
    if (opt && eq >= 0 && opt.isBoolean() && !opt.negate) {
      const rewritten = booleanValue(opts, opt, arg.slice(eq + 1));
      if (rewritten) {
        out.push(...rewritten);
        continue;
      }
    }
    out.push(arg);
    if (isLong) {
      if (opt?.required && eq < 0 && i + 1 < argv.length) out.push(argv[++i] ?? '');
      continue;
    }
    // A cluster of short flags (`-it`, `-dp80`): the first one taking a value ends the cluster.
    for (let j = 1; j < arg.length; j++) {
      const short = opts.find((o) => o.short === `-${arg[j] ?? ''}`);
      if (!short?.required) continue;
      if (j === arg.length - 1 && i + 1 < argv.length) out.push(argv[++i] ?? '');
      break;
    }
  }
  return out;
}

/** Makes `cmd` accept pflag's boolean `=value` forms. */
export function acceptBooleanValues(cmd: Command): void {
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => parse(normalizeBooleanArgs(cmd.options, argv));
}
