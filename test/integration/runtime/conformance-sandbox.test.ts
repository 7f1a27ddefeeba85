/**
 * The sandbox half of the conformance suite, on every runtime profile: a pause process holding
 * network, IPC and UTS namespaces (and a /dev/shm) that two containers join — the base of a pod.
 */
import assert from 'node:assert/strict';
import { access, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../src/core/run-command.js';
import { after, before, describe, it } from 'node:test';
import { isMountPoint } from '../../../src/drivers/snapshotter/mountinfo.js';
import type { ProcessHandle, Sandbox } from '../../../src/drivers/runtime/container-runtime.js';
import { demux } from '../monitor/monitor-fixture.js';
import { collect, RUNTIMES, RuntimeHarness } from './harness.js';

const T = { timeout: 30_000 };
const IO = { tty: false, stdin: false, stdinOnce: false } as const;
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** The namespace a process is in, as the kernel names it (`net:[4026532…]`). */
const ns = (pid: number, type: string): Promise<string> => readlink(`/proc/${pid}/ns/${type}`);

for (const rt of RUNTIMES) {
  describe(`ContainerRuntime sandbox conformance: ${rt.name}`, () => {
    let h: RuntimeHarness;
    before(async () => {
      h = await RuntimeHarness.create(rt);
    });
    after(async () => {
      await h.cleanup();
    });

    it('two containers share the sandbox network, IPC and UTS namespaces and its /dev/shm; removing it cleans up', T, async () => {
      const id = h.nextId('sandbox');
      const dir = h.sandboxDir(id);
      const sandbox: Sandbox = await h.runtime.createSandbox(id, dir, { cgroupsPath: `${h.cgroupParent}/${id}`, hostname: 'pod-host' });
      assert.ok(sandbox.pid > 0);
      assert.equal((await h.runtime.state(id))?.status, 'running');
      assert.equal(await isMountPoint(sandbox.shm), true);

      const join = (spec: Parameters<Sandbox['join']>[0]): ReturnType<Sandbox['join']> => sandbox.join(spec);
      const first = await h.bundle(['sh', '-c', 'echo shared-by-first > /dev/shm/token; sleep 1000'], { adapt: join });
      const second = await h.bundle(['sleep', '1000'], { adapt: join });
      const handles: ProcessHandle[] = [];
      handles.push(await h.runtime.create(first.id, first.bundle, { ...IO, startNow: true }));
      handles.push(await h.runtime.create(second.id, second.bundle, { ...IO, startNow: true }));
      const [a, b] = handles as [ProcessHandle, ProcessHandle];

      for (const type of ['net', 'ipc', 'uts']) {
        const want = await ns(sandbox.pid, type);
        assert.equal(await ns(a.pid, type), want, `${type} of the first container`);
        assert.equal(await ns(b.pid, type), want, `${type} of the second container`);
      }
      // What was not asked to be shared stays the container's own.
      assert.notEqual(await ns(a.pid, 'pid'), await ns(b.pid, 'pid'));
      assert.notEqual(await ns(a.pid, 'mnt'), await ns(b.pid, 'mnt'));

      // Seen from inside the second: the first's shared-memory file, the sandbox's host name, the same namespaces.
      const probe = 'for i in 1 2 3 4 5 6 7 8 9 10; do [ -s /dev/shm/token ] && break; sleep 0.1; done; cat /dev/shm/token; hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc';
      const e = await h.runtime.exec(second.id, 'probe', await h.process(second, ['sh', '-c', probe]), { ...IO, stdinOnce: true, holdOutput: true });
      const out = demux(await collect(await e.attach())).filter((f) => f.stream === 1).map((f) => f.payload).join('');
      assert.equal((await e.wait()).code, 0, out);
      assert.deepEqual(out.trim().split('\n'), ['shared-by-first', 'pod-host', await ns(sandbox.pid, 'net'), await ns(sandbox.pid, 'ipc')]);

      for (const p of handles) {
        await p.signal('KILL', true);
        await p.wait();
        await p.delete();
      }
      // The sandbox outlives its containers.
      assert.equal((await h.runtime.state(id))?.status, 'running');
      const again = await h.newRuntime().restoreSandbox(id, dir, {});
      assert.equal(again?.pid, sandbox.pid);

      await h.runtime.removeSandbox(id, dir);
      assert.equal(await h.runtime.state(id), undefined);
      assert.equal(await exists(`/proc/${sandbox.pid}/ns`), false, 'the pause process is gone');
      assert.equal(await exists(dir), false);
      assert.equal(await exists(h.stateDir(id)), false);
      assert.equal(await h.newRuntime().restoreSandbox(id, dir, {}), undefined);
    });

    it("holds a network namespace made beforehand (the network driver's bind mount) instead of a new one", T, async () => {
      const netns = join(h.base, 'netns-made-before');
      await writeFile(netns, '');
      await runCommand('unshare', [`--net=${netns}`, 'true']);
      const id = h.nextId('sandbox');
      const dir = h.sandboxDir(id);
      const sandbox = await h.runtime.createSandbox(id, dir, { cgroupsPath: `${h.cgroupParent}/${id}`, netns });
      assert.equal(await ns(sandbox.pid, 'net'), `net:[${(await stat(netns)).ino}]`);
      await h.runtime.removeSandbox(id, dir);
      assert.equal(await isMountPoint(netns), true, 'the namespace is the network driver\'s: it stays');
      await runCommand('umount', [netns]);
    });

    it('shares the PID namespace when asked: the pause process is init of both', T, async () => {
      const id = h.nextId('sandbox');
      const dir = h.sandboxDir(id);
      const sandbox = await h.runtime.createSandbox(id, dir, { cgroupsPath: `${h.cgroupParent}/${id}`, sharePid: true });
      assert.equal(sandbox.namespaces.pid, `/proc/${sandbox.pid}/ns/pid`);
      const c = await h.bundle(['sleep', '1000'], { adapt: (s) => sandbox.join(s) });
      const p = await h.runtime.create(c.id, c.bundle, { ...IO, startNow: true });
      assert.equal(await ns(p.pid, 'pid'), await ns(sandbox.pid, 'pid'));
      const e = await h.runtime.exec(c.id, 'ps', await h.process(c, ['cat', '/proc/1/cmdline']), { ...IO, stdinOnce: true, holdOutput: true });
      const out = demux(await collect(await e.attach())).map((f) => f.payload).join('');
      assert.equal(out.replace(/\0/g, ' ').trim(), '/pause');
      await e.wait();
      await p.signal('KILL', true);
      await p.wait();
      await p.delete();
      await h.runtime.removeSandbox(id, dir);
      assert.equal(await exists(dir), false);
    });
  });
}
