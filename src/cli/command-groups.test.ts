import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { CliContext } from './cli-context.js';
import { COMMAND_GROUPS, commandWord, groupFor } from './command-groups.js';

test('each group names exactly the top-level commands (and aliases) it registers', async () => {
  const seen = new Set<string>();
  for (const g of COMMAND_GROUPS) {
    const program = new Command('berth').enablePositionalOptions();
    (await g.load())(program, new CliContext(() => undefined));
    const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    assert.deepEqual([...names].sort(), [...g.names].sort());
    for (const n of names) {
      assert.ok(!seen.has(n), `${n} is in two groups`);
      seen.add(n);
    }
  }
});

test('groupFor: the command word after berth\'s global flags picks one group; help, unknown words and unknown flags need all', () => {
  const names = (argv: string[]): readonly string[] | undefined => groupFor(argv)?.names;
  assert.ok(names(['version'])?.includes('version'));
  assert.ok(names(['-H', 'unix:///x.sock', 'run', '--rm', 'busybox'])?.includes('run'));
  assert.ok(names(['--host=unix:///x.sock', '-D', 'ps', '-a'])?.includes('ps'));
  assert.ok(names(['-l', 'debug', 'network', 'ls'])?.includes('network'));
  assert.ok(names(['image', 'ls'])?.includes('images'));
  assert.equal(groupFor([]), undefined);
  assert.equal(groupFor(['--help']), undefined);
  assert.equal(groupFor(['-v']), undefined);
  assert.equal(groupFor(['frobnicate']), undefined);
  assert.equal(groupFor(['--', 'ps']), undefined);
});

test('with `only`, a group defines that command as it does among all of them (same help, same subcommands)', async () => {
  const ctx = new CliContext(() => undefined);
  const find = (program: Command, name: string): Command | undefined => program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  const shape = (c: Command): string => [c.helpInformation(), ...c.commands.map(shape)].join('\n');
  for (const g of COMMAND_GROUPS) {
    const register = await g.load();
    const all = new Command('berth').enablePositionalOptions();
    register(all, ctx);
    for (const name of g.names) {
      const one = new Command('berth').enablePositionalOptions();
      register(one, ctx, name);
      const cmd = find(one, name);
      assert.ok(cmd, `${name} is defined`);
      assert.equal(shape(cmd), shape(find(all, name) ?? all), name);
    }
  }
  const run = new Command('berth').enablePositionalOptions();
  const containers = groupFor(['run']);
  assert.ok(containers);
  (await containers.load())(run, ctx, 'run');
  assert.deepEqual(run.commands.map((c) => c.name()), ['run'], 'run alone: not the 50 container commands');
});

test('commandWord: the first word after berth\'s global flags', () => {
  assert.equal(commandWord(['-H', 'unix:///x.sock', '-D', 'run', '--rm', 'busybox']), 'run');
  assert.equal(commandWord(['--log-level=debug', 'container', 'ls']), 'container');
  assert.equal(commandWord(['--', 'ps']), undefined);
  assert.equal(commandWord(['--frobnicate', 'ps']), undefined);
  assert.equal(commandWord([]), undefined);
});
