import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { CliContext } from '../../src/cli/cli-context.js';
import { buildProgram } from '../../src/cli/program.js';
import { DOCKER, run } from '../helpers/test-daemon.js';

/**
 * berth's commands and flags are docker's: each berth command is a docker command, each flag a
 * docker flag with the same short form. Read from the docker CLI's own --help (no daemon needed).
 * docker flags berth lacks are listed in docs/compatibility.md.
 */
/** Berth's own commands (and their subcommands): docker has none of them. */
const BERTH_ONLY_COMMANDS = new Set(['image bootstrap', 'registry', 'which', 'host-ps', 'network doctor', 'system budget', 'system check', 'system setup-rootless', 'ui']);
/** Berth's own flags on docker's commands: Podman's --health-on-failure (stored as a label docker clients can set). */
const BERTH_ONLY_FLAGS: Record<string, string[]> = {
  create: ['health-on-failure'],
  run: ['health-on-failure'],
  ps: ['removed'],
  ls: ['removed'],
};
/** Flags docker accepts but hides from --help (deprecated aliases and network aliases). */
const DOCKER_HIDDEN: Record<string, string[]> = {
  create: ['dns-opt', 'net', 'net-alias'],
  run: ['dns-opt', 'net', 'net-alias'],
  stop: ['time'],
  restart: ['time'],
  'volume create': ['name'],
};

interface DockerFlag {
  short: string | undefined;
}

async function dockerFlags(path: string[]): Promise<Map<string, DockerFlag> | undefined> {
  const r = await run(DOCKER, [...path, '--help']);
  if (r.code !== 0) return undefined;
  // An unknown command gets docker's root usage, not an error: that is no such command.
  if (/^Usage:\s+docker \[OPTIONS\] COMMAND$/m.test(r.stdout)) return undefined;
  const flags = new Map<string, DockerFlag>();
  let inOptions = false;
  for (const line of r.stdout.split('\n')) {
    if (/^(Options|Flags):/.test(line)) inOptions = true;
    else if (/^\S/.test(line)) inOptions = false;
    const m = /^\s+(?:-(\w), )?--([\w-]+)/.exec(line);
    if (inOptions && m?.[2]) flags.set(m[2], { short: m[1] });
  }
  return flags;
}

function commands(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return cmd.commands.flatMap((sub) => [{ path: [...path, sub.name()], cmd: sub }, ...commands(sub, [...path, sub.name()])]);
}

const program = await buildProgram(new CliContext(() => undefined), {});

for (const { path, cmd } of commands(program)) {
  const name = path.join(' ');
  if ([...BERTH_ONLY_COMMANDS].some((c) => name === c || name.startsWith(`${c} `))) continue;
  test(`berth ${name} has docker ${name}'s flags`, async () => {
    const docker = await dockerFlags(path);
    assert.ok(docker, `docker has no "${name}" command`);
    const hidden = [...(DOCKER_HIDDEN[name.replace(/^container /, '')] ?? []), ...(BERTH_ONLY_FLAGS[name.replace(/^container /, '')] ?? [])];
    for (const o of cmd.options) {
      const long = o.long?.replace(/^--/, '') ?? '';
      if (o.negate || hidden.includes(long)) continue;
      const d = docker.get(long);
      assert.ok(d, `berth ${name} --${long} is not a docker flag`);
      assert.equal(o.short?.replace(/^-/, ''), d.short, `berth ${name} --${long}: short form differs from docker's`);
    }
  });
}
