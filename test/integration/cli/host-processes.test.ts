import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

const cmdline = async (pid: number): Promise<string> => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0+$/, '').split('\0').join(' ');

/** The host PID of `command` in the process tree under `pid` (the container's init), searched breadth-first. */
async function findInTree(pid: number, command: string): Promise<number | undefined> {
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if ((await cmdline(p)) === command) return p;
    const children = await readFile(`/proc/${p}/task/${p}/children`, 'utf8').catch(() => '');
    queue.push(...children.split(/\s+/).filter(Boolean).map(Number));
  }
  return undefined;
}

/** `berth which` and `berth host-ps`: host PIDs mapped to containers through the daemon's /berth/v1/processes. */
describe('whose process is this (berth which, host-ps)', () => {
  let d: TestDaemon;
  let id = '';
  let sleepPid = 0;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    id = ok(await d.berth(['run', '-d', '--name', 'sleeper', '--label', 'com.docker.compose.project=proj', '--label', 'com.docker.compose.service=svc', 'busybox', 'sleep', '1000']), 'run -d').stdout.trim();
    const init = Number(ok(await d.docker(['inspect', '-f', '{{.State.Pid}}', id]), 'inspect').stdout.trim());
    assert.ok(init > 0, 'the container runs');
    sleepPid = (await findInTree(init, 'sleep 1000')) ?? 0;
    assert.ok(sleepPid > 0, `sleep 1000 under the container's init ${init}`);
  });
  after(() => removeContainersAndStop(d));

  test('which names the container of its sleep: name, ID, image, compose project and service', async () => {
    const out = ok(await d.berth(['which', String(sleepPid)]), 'which').stdout.split('\n');
    assert.match(out[0] ?? '', /^PID +CONTAINER +CONTAINER ID +IMAGE +PROJECT +SERVICE$/);
    assert.match(out[1] ?? '', new RegExp(`^${sleepPid} +sleeper +${id.slice(0, 12)} +busybox +proj +svc$`));
    assert.match(ok(await d.berth(['which', '--no-trunc', String(sleepPid)]), 'which --no-trunc').stdout, new RegExp(`\\b${id}\\b`));
  });

  test('which says host for the test process itself, alongside a container process', async () => {
    const out = ok(await d.berth(['which', String(process.pid), String(sleepPid)]), 'which').stdout.split('\n');
    assert.match(out[1] ?? '', new RegExp(`^${process.pid} +host *$`));
    assert.match(out[2] ?? '', new RegExp(`^${sleepPid} +sleeper `));
  });

  test('which fails clearly for a PID that does not exist, still answering the others', async () => {
    const r = await d.berth(['which', '999999999', String(process.pid)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: no such process: 999999999/);
    assert.match(r.stdout, new RegExp(`^${process.pid} +host`, 'm'));
    const bad = await d.berth(['which', 'abc']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid PID "abc"/);
  });

  test("host-ps lists the host's processes with their container, like ps -e -o pid,user,args", async () => {
    const out = ok(await d.berth(['host-ps']), 'host-ps').stdout.split('\n');
    assert.match(out[0] ?? '', /^PID +USER +CONTAINER +COMMAND$/);
    assert.ok(out.some((l) => new RegExp(`^${sleepPid} +root +sleeper +sleep 1000$`).test(l)), `the sleep's line in:\n${out.join('\n')}`);
    assert.ok(out.some((l) => new RegExp(`^${process.pid} +\\S+ +host +`).test(l)), "the test's own process as host's");
    assert.ok(out.length > 3);
  });
});
