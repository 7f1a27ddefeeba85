import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProgramRunner, type ProgramResult } from '../../core/run-command.js';
import { hostAddon } from './host-addon.js';
import { runProgram } from './host-spawn.js';

const text = (r: ProgramResult): { stdout: string; stderr: string; code: number | null; signal: string | null } => ({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.code, signal: r.signal });

test('the native way is the one in use here (an addon and pidfds)', () => {
  assert.equal(hostAddon().pidfdWorks(), true);
});

test('runProgram gives what node:child_process gives: output, errors, exit codes, signals, input', async () => {
  const cases: Array<[string, string[], { input?: string; env?: NodeJS.ProcessEnv }]> = [
    ['echo', ['hello', 'world'], {}],
    ['sh', ['-c', 'echo out; echo err >&2; exit 3'], {}],
    ['sh', ['-c', 'kill -TERM $$'], {}],
    ['cat', [], { input: 'piped\ninput\n' }],
    ['cat', [], {}],
    ['sh', ['-c', 'echo "$ONLY_HERE"'], { env: { PATH: process.env.PATH, ONLY_HERE: 'yes' } }],
    ['/bin/sh', ['-c', 'head -c 300000 /dev/zero | wc -c; head -c 200000 /dev/zero | wc -c >&2'], {}],
  ];
  for (const [file, args, opts] of cases) {
    assert.deepEqual(text(await runProgram(file, args, opts)), text(await nodeProgramRunner(file, args, opts)), `${file} ${args.join(' ')}`);
  }
});

test('the program finds every signal at its default and none blocked (Node ignores SIGPIPE and SIGXFSZ)', async () => {
  const status = (await runProgram('cat', ['/proc/self/status'])).stdout.toString();
  const mask = (name: string): bigint => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? 'x'}`);
  // Signals 32 and 33 are glibc's own (thread cancellation, setxid): its posix_spawn leaves them
  // ignored and a program's glibc takes them over when it needs them. No other may be.
  const glibcOwn = (1n << 31n) | (1n << 32n);
  assert.equal(mask('SigIgn') & ~glibcOwn, 0n, status);
  assert.equal(mask('SigBlk'), 0n, status);
});

test('runProgram refuses a program that is not there or cannot run as child_process does', async () => {
  await assert.rejects(runProgram('berth-no-such-program', []), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && /berth-no-such-program/.test(e.message));
  await assert.rejects(runProgram('/nonexistent/berth', []), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  const dir = mkdtempSync(join(tmpdir(), 'berth-spawn-'));
  try {
    writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    await assert.rejects(runProgram(join(dir, 'not-executable'), []), (e: NodeJS.ErrnoException) => e.code === 'EACCES');
    // A script without `#!` runs with /bin/sh, as execvp (and so child_process) runs it.
    writeFileSync(join(dir, 'no-shebang'), 'echo "ran: $*"; exit 4\n', { mode: 0o755 });
    assert.deepEqual(text(await runProgram(join(dir, 'no-shebang'), ['a', 'b'])), text(await nodeProgramRunner(join(dir, 'no-shebang'), ['a', 'b'])));
    assert.equal((await runProgram(join(dir, 'no-shebang'), ['a', 'b'])).stdout.toString(), 'ran: a b\n');
    // A file that is neither a program nor a script fails as child_process fails on it.
    writeFileSync(join(dir, 'garbage'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]), { mode: 0o755 });
    const viaNode = await nodeProgramRunner(join(dir, 'garbage'), []).then((r) => text(r), (e: NodeJS.ErrnoException) => e.code);
    const viaRun = await runProgram(join(dir, 'garbage'), []).then((r) => text(r), (e: NodeJS.ErrnoException) => e.code);
    assert.deepEqual(viaRun, viaNode);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with setsid the program leads a session of its own; without, it is in ours', async () => {
  const sid = async (setsid: boolean): Promise<string[]> => (await runProgram('sh', ['-c', 'echo $$; ps -o sid= -p $$'], { setsid })).stdout.toString().trim().split(/\s+/);
  const [pid, own] = await sid(true);
  assert.equal(own, pid);
  const [pid2, inherited] = await sid(false);
  assert.notEqual(inherited, pid2);
});

test('no descriptor of ours leaks into the program, and none of its pipes stays open here', async () => {
  const before = readdirSync('/proc/self/fd').length;
  // ls lists its own descriptors: 0, 1, 2, the directory it reads, and whatever this process
  // itself inherited without close-on-exec (any program started from here gets those, as with
  // child_process). No pipeline: a shell holds a pipeline's pipe for a moment after its forks.
  const fds = async (runner: typeof runProgram): Promise<string> => (await runner('ls', ['/proc/self/fd'])).stdout.toString().split('\n').sort().join(' ');
  assert.equal(await fds(runProgram), await fds(nodeProgramRunner));
  for (let i = 0; i < 20; i++) await runProgram('true', []);
  const after = readdirSync('/proc/self/fd').length;
  assert.ok(after <= before + 1, `${before} fds before, ${after} after`);
});

test('a hundred programs at once are all reaped: no zombie is left', async () => {
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => runProgram('sh', ['-c', `exit ${i % 7}`])));
  assert.deepEqual(results.map((r) => r.code), Array.from({ length: 100 }, (_, i) => i % 7));
  const { stdout } = await nodeProgramRunner('ps', ['-o', 'stat=', '--ppid', String(process.pid)]);
  assert.equal(stdout.toString().split('\n').filter((s) => s.startsWith('Z')).length, 0);
});

test('a program past its timeout is killed and the result says so, as with child_process', async () => {
  for (const runner of [runProgram, nodeProgramRunner]) {
    const started = Date.now();
    const r = await runner('sleep', ['5'], { timeoutMs: 100 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(Date.now() - started < 3000);
    const quick = await runner('true', [], { timeoutMs: 5000 });
    assert.equal(quick.timedOut, undefined);
    assert.equal(quick.code, 0);
  }
});
