import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { CliContext } from './cli-context.js';
import { COMMAND_GROUPS, groupFor } from './command-groups.js';

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
