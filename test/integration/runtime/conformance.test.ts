/**
 * The ContainerRuntime conformance suite: every case on every runtime profile (crun, runc), each
 * a real container from a bundle the engine's spec builder made. A runtime that passes here is
 * one the engine can drive through the seam alone.
 */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { RuntimeStartError } from '../../../src/drivers/runtime/runtime-start-error.js';
import { SECCOMP_BPF_ANNOTATION } from '../../../src/drivers/runtime/seccomp-bpf-cache.js';
import { demux } from '../monitor/monitor-fixture.js';
import { cgroupDir, collect, RUNTIMES, RuntimeHarness, waitForText } from './harness.js';

const T = { timeout: 30_000 };
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const IO = { tty: false, stdin: false, stdinOnce: false } as const;
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const MiB = 1024 * 1024;

for (const rt of RUNTIMES) {
  describe(`ContainerRuntime conformance: ${rt.name}`, () => {
    let h: RuntimeHarness;
    before(async () => {
      h = await RuntimeHarness.create(rt);
    });
    after(async () => {
      await h.cleanup();
    });

    it('creates, starts and waits: exit code 7', T, async () => {
      const b = await h.bundle(['sh', '-c', 'exit 7']);
      const p = await h.runtime.create(b.id, b.bundle, IO);
      assert.ok(p.pid > 0);
      assert.equal((await h.runtime.state(b.id))?.status, 'created');
      await h.runtime.start(b.id);
      const exit = await p.wait();
      assert.deepEqual({ code: exit.code, signal: exit.signal, oomKilled: exit.oomKilled, oomKills: exit.oomKills }, { code: 7, signal: null, oomKilled: false, oomKills: 0 });
      assert.match(exit.at, TIME);
      assert.deepEqual(await p.exited(), exit);
      await p.delete();
    });

    it('adapts specs to the profile: crun reuses the seccomp filter it compiled, runc compiles each time', T, async () => {
      const b = await h.bundle(['true']);
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      assert.equal((await p.wait()).code, 0);
      await p.delete();
      const next = await h.bundle(['true']);
      const annotations = (JSON.parse(await readFile(`${next.bundle}/config.json`, 'utf8')) as { annotations?: Record<string, string> }).annotations ?? {};
      assert.equal(SECCOMP_BPF_ANNOTATION in annotations, rt.name === 'crun');
      const q = await h.runtime.create(next.id, next.bundle, { ...IO, startNow: true });
      assert.equal((await q.wait()).code, 0);
      await q.delete();
    });

    it('signals the process: SIGTERM ends it by signal 15', T, async () => {
      // In a PID namespace of its own the process is init, which ignores signals it has no handler for.
      const b = await h.bundle(['sleep', '1000'], { hostPid: true });
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      assert.equal((await h.runtime.state(b.id))?.status, 'running');
      await p.signal('SIGTERM');
      const exit = await p.wait();
      assert.deepEqual([exit.code, exit.signal], [143, 15]);
      await h.runtime.kill(b.id, 'KILL', true); // nothing left to signal is success
      await h.runtime.delete(b.id);
    });

    it('attaches a terminal and resizes it (stty size)', T, async () => {
      const b = await h.bundle(['sh'], { tty: true });
      const p = await h.runtime.create(b.id, b.bundle, { tty: true, stdin: true, stdinOnce: false, consoleSize: [24, 80] });
      const term = await p.attach();
      await h.runtime.start(b.id);
      term.write('stty size\n');
      await waitForText(term, '24 80');
      await p.resize(40, 120);
      term.write('stty size\n');
      await waitForText(term, '40 120');
      term.write('exit 3\n');
      assert.equal((await p.wait()).code, 3);
      term.destroy();
      await p.delete();
    });

    it('attaches stdin and stdout (multiplexed frames)', T, async () => {
      const b = await h.bundle(['sh', '-c', 'read line; echo "got:$line"; echo err >&2']);
      const p = await h.runtime.create(b.id, b.bundle, { tty: false, stdin: true, stdinOnce: true });
      const stream = await p.attach();
      const output = collect(stream);
      await h.runtime.start(b.id);
      stream.end('hello\n');
      const frames = demux(await output);
      assert.deepEqual(frames.map((f) => [f.stream, f.payload]).sort(), [[1, 'got:hello\n'], [2, 'err\n']]);
      assert.equal((await p.wait()).code, 0);
      await p.delete();
    });

    it('closes stdin on request: cat sees the end of its input', T, async () => {
      const b = await h.bundle(['cat']);
      const p = await h.runtime.create(b.id, b.bundle, { tty: false, stdin: true, stdinOnce: false, startNow: true });
      const stream = await p.attach();
      const output = collect(stream);
      stream.write('abc\n');
      await waitForText(stream, 'abc');
      await p.closeStdin();
      assert.equal((await p.wait()).code, 0);
      assert.deepEqual(demux(await output).map((f) => f.payload), ['abc\n']);
      await p.delete();
    });

    it('creates over a stale entry of the same id (a crash between exit and delete)', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const first = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      await first.signal('KILL');
      assert.equal((await first.wait()).code, 137);
      assert.equal((await h.runtime.state(b.id))?.status, 'stopped');
      const second = await h.newRuntime().create(b.id, b.bundle, { ...IO, startNow: true });
      assert.notEqual(second.pid, first.pid);
      assert.equal(await second.exited(), undefined, 'the first run\'s exit is not the second\'s');
      await second.signal('TERM', true);
      await second.signal('KILL', true);
      assert.equal((await second.wait()).signal, 9);
      await second.delete();
    });

    it('execs a process: its output and exit code', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const init = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const e = await h.runtime.exec(b.id, 'exec1', await h.process(b, ['sh', '-c', 'echo out; exit 5']), { ...IO, stdinOnce: true, holdOutput: true });
      assert.ok(e.pid > 0 && e.pid !== init.pid);
      assert.equal(e.execId, 'exec1');
      const out = demux(await collect(await e.attach()));
      assert.deepEqual(out.map((f) => [f.stream, f.payload]), [[1, 'out\n']]);
      const exit = await e.wait();
      assert.equal(exit.code, 5);
      assert.equal(exit.oomKilled, undefined, 'an exec has no cgroup of its own');
      await e.delete();
      assert.equal(await exists(`${b.bundle}/execs/exec1`), false);
      await init.signal('KILL');
      assert.equal((await init.wait()).signal, 9);
      await h.runtime.delete(b.id);
    });

    it('a tty exec gets its size from the start', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const init = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const e = await h.runtime.exec(b.id, 'exec-tty', await h.process(b, ['stty', 'size']), { tty: true, stdin: false, stdinOnce: true, holdOutput: true, consoleSize: [33, 99] });
      assert.match((await collect(await e.attach())).toString('utf8'), /33 99/);
      assert.equal((await e.wait()).code, 0);
      await init.signal('KILL', true);
      await init.wait();
      await h.runtime.delete(b.id);
    });

    it('pauses and resumes through the cgroup freezer', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const freezer = cgroupDir(p.pid, 'freezer');
      const v1 = freezer.includes('/freezer/');
      const frozen = async (): Promise<string> => (await readFile(`${freezer}/${v1 ? 'freezer.state' : 'cgroup.freeze'}`, 'utf8')).trim();
      await h.runtime.pause(b.id);
      assert.equal((await h.runtime.state(b.id))?.status, 'paused');
      assert.equal(await frozen(), v1 ? 'FROZEN' : '1');
      await h.runtime.resume(b.id);
      assert.equal((await h.runtime.state(b.id))?.status, 'running');
      assert.equal(await frozen(), v1 ? 'THAWED' : '0');
      await p.signal('KILL');
      await p.wait();
      await h.runtime.delete(b.id);
    });

    it('lists the processes of the container', T, async () => {
      const b = await h.bundle(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      let pids: number[] = [];
      for (let i = 0; i < 50 && pids.length < 3; i++) {
        pids = await h.runtime.pids(b.id);
        if (pids.length < 3) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(pids.length, 3, `pids: ${pids.join(' ')}`);
      assert.ok(pids.includes(p.pid));
      await p.signal('KILL', true);
      await p.wait();
      await h.runtime.delete(b.id);
    });

    it('updates resources: the memory limit changes in the cgroup', T, async () => {
      const b = await h.bundle(['sleep', '1000'], { resources: { memory: 64 * MiB, memorySwap: 128 * MiB } });
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const mem = cgroupDir(p.pid, 'memory');
      const limitFile = `${mem}/${mem.includes('/memory/') ? 'memory.limit_in_bytes' : 'memory.max'}`;
      assert.equal(Number(await readFile(limitFile, 'utf8')), 64 * MiB);
      await h.runtime.update(b.id, { memory: { limit: 96 * MiB, swap: 192 * MiB } });
      assert.equal(Number(await readFile(limitFile, 'utf8')), 96 * MiB);
      await p.signal('KILL');
      await p.wait();
      await h.runtime.delete(b.id);
    });

    it("reports an OOM kill in the exit status (read from the container's cgroup)", T, async () => {
      // A shell variable of 64 MiB in a container of 16 MiB without swap: the kernel kills the shell.
      const b = await h.bundle(['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], { resources: { memory: 16 * MiB, memorySwap: 16 * MiB } });
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const exit = await p.wait();
      assert.equal(exit.oomKilled, true, `exit ${JSON.stringify(exit)}`);
      assert.ok((exit.oomKills ?? 0) >= 1);
      await p.delete();
    });

    it('deletes the runtime state and the cgroup', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const p = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const dirs = ['memory', 'pids', 'freezer'].map((c) => cgroupDir(p.pid, c));
      assert.ok(await exists(h.stateDir(b.id)));
      for (const d of dirs) assert.ok(await exists(d), `${d} exists while the container runs`);
      await p.signal('KILL');
      await p.wait();
      await p.delete();
      assert.equal(await h.runtime.state(b.id), undefined);
      assert.equal(await exists(h.stateDir(b.id)), false);
      for (const d of dirs) assert.equal(await exists(d), false, `${d} is gone`);
      await h.runtime.delete(b.id); // idempotent
    });

    it('a missing executable is a typed start error (127), and leaves no state', T, async () => {
      const b = await h.bundle(['/no/such/program']);
      const err = await h.runtime.create(b.id, b.bundle, IO).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RuntimeStartError, `got ${String(err)}`);
      assert.deepEqual([err.reason, err.exitCode, err.kind, err.phase], ['executable-not-found', 127, 'invalid-parameter', 'create']);
      assert.match(err.message, /no such file or directory/);
      assert.equal(await h.runtime.state(b.id), undefined);
    });

    it('a file that cannot be executed is a typed start error (126)', T, async () => {
      const b = await h.bundle(['/bin/not-executable']);
      const err = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RuntimeStartError, `got ${String(err)}`);
      assert.deepEqual([err.reason, err.exitCode], ['permission-denied', 126]);
    });

    it('an exec of a missing command is a typed start error', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const init = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      const err = await h.runtime.exec(b.id, 'missing', await h.process(b, ['nosuchcommand']), { ...IO, stdinOnce: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof RuntimeStartError, `got ${String(err)}`);
      assert.deepEqual([err.reason, err.exitCode, err.phase], ['executable-not-found', 127, 'exec']);
      await init.signal('KILL');
      await init.wait();
      await h.runtime.delete(b.id);
    });

    it('restores a container after the handle is dropped: the monitor outlived it', T, async () => {
      const b = await h.bundle(['sleep', '1000']);
      const first = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      // A new runtime object knows nothing of the container, as after a daemon restart.
      const again = h.newRuntime();
      assert.equal(await again.restore('berth-test-rt-never-made', `${b.bundle}-none`), undefined);
      const p = await again.restore(b.id, b.bundle);
      assert.ok(p);
      assert.equal(p.pid, first.pid);
      assert.equal(await p.alive(), true);
      assert.equal(await p.exited(), undefined);
      const e = await again.exec(b.id, 'after-restore', await h.process(b, ['true']), { ...IO, stdinOnce: true });
      assert.equal((await e.wait()).code, 0);
      await p.signal('KILL');
      const exit = await p.wait();
      assert.deepEqual([exit.code, exit.signal], [137, 9]);
      await p.delete();
      assert.equal(await again.state(b.id), undefined);
    });

    it('restores a container that exited while nobody watched: its status is kept', T, async () => {
      const b = await h.bundle(['sh', '-c', 'exit 4']);
      const first = await h.runtime.create(b.id, b.bundle, { ...IO, startNow: true });
      await first.wait();
      const p = await h.newRuntime().restore(b.id, b.bundle);
      assert.equal((await p?.exited())?.code, 4);
      await p?.delete();
    });
  });
}
