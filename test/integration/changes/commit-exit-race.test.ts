import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';
import { http } from '../../helpers/hostile-tar/routes.js';

const API = '/v1.41';

/**
 * Issue 24: docker-py's commit tests start `busybox true` (or `touch /test`) and commit at once:
 * the container exits while the commit pauses it. dockerd pauses a running container and ignores
 * what pause and unpause say, so the commit succeeds whatever the race; Berth answered 409 (or the
 * runtime's 500). And `POST /images/load` of a bad archive answers 200 with the error in the
 * JSON stream, as dockerd does (docker-py raises ImageLoadError from it).
 */
describe('commit while the container exits; load errors in the stream', () => {
  let d: TestDaemon;
  const json = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> => {
    const got = await http({ socketPath: d.socket, method, path: API + path, ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } } : {}), ms: 30_000 });
    return { status: got.status, body: got.body.toString() };
  };

  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  after(async () => {
    const ids = (await d?.docker(['ps', '-aq']))?.stdout.split('\n').filter(Boolean) ?? [];
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    await d?.docker(['image', 'prune', '-f']);
    await d?.stop();
  });

  it('commits short-lived containers right after their start, 60 times, 3 at once, with no 409 or 500', async () => {
    const failures: string[] = [];
    const images: string[] = [];
    const cmds = [['true'], ['touch', '/test'], ['sh', '-c', 'usleep 3000'], ['sh', '-c', 'usleep 20000']];
    const one = async (i: number): Promise<void> => {
      const created = await json('POST', '/containers/create', { Image: 'busybox', Cmd: cmds[i % cmds.length], HostConfig: { NetworkMode: 'none' } });
      assert.equal(created.status, 201, created.body);
      const id = (JSON.parse(created.body) as { Id: string }).Id;
      try {
        const started = await json('POST', `/containers/${id}/start`);
        assert.equal(started.status, 204, started.body);
        // At once, as docker-py does: the pause meets the exit.
        const commit = await json('POST', `/commit?container=${id}`);
        if (commit.status !== 201) failures.push(`#${i} ${cmds[i % cmds.length]?.join(' ')}: ${commit.status} ${commit.body}`);
        else images.push((JSON.parse(commit.body) as { Id: string }).Id);
        // An exited container is never left paused by a pause that lost the race.
        const state = await json('GET', `/containers/${id}/json`);
        const s = (JSON.parse(state.body) as { State: { Paused: boolean; Running: boolean } }).State;
        if (s.Paused) failures.push(`#${i}: left paused (running=${s.Running})`);
      } finally {
        await json('DELETE', `/containers/${id}?force=1`);
      }
    };
    for (let round = 0; round < 20; round++) await Promise.all([0, 1, 2].map((k) => one(round * 3 + k)));
    assert.deepEqual(failures, []);
    assert.equal(images.length, 60);
    for (const img of new Set(images)) await json('DELETE', `/images/${img}?force=1`);
  });

  it('a running container is paused for the commit and running again afterwards', async () => {
    ok(await d.docker(['run', '-d', '--name', 'long', '--network', 'none', 'busybox', 'sh', '-c', 'echo x > /made; sleep 300']), 'run');
    const id = ok(await d.docker(['commit', 'long', 'committed:long']), 'commit').stdout.trim();
    assert.match(id, /^sha256:/);
    assert.equal(ok(await d.docker(['inspect', '-f', '{{.State.Running}} {{.State.Paused}}', 'long']), 'inspect').stdout.trim(), 'true false');
    assert.equal(ok(await d.docker(['run', '--rm', '--network', 'none', 'committed:long', 'cat', '/made']), 'run committed').stdout, 'x\n');
    // As docker: the image config keeps the container's ID and its whole Config as container_config
    // (docker-py's CommitTest reads ContainerConfig.Image from inspect at API < 1.45).
    const saved = await http({ socketPath: d.socket, method: 'GET', path: `${API}/images/committed:long/get`, ms: 30_000 });
    const files = new Map<string, Buffer>();
    const extract = tarStream.extract();
    Readable.from([saved.body]).pipe(extract);
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
      files.set(entry.header.name, Buffer.concat(chunks));
    }
    const manifest = JSON.parse(files.get('manifest.json')?.toString() ?? '[]') as Array<{ Config: string }>;
    const config = JSON.parse(files.get(manifest[0]?.Config ?? '')?.toString() ?? '{}') as { container?: string; container_config?: { Image?: string; Hostname?: string } };
    const longId = ok(await d.docker(['inspect', '-f', '{{.Id}}', 'long']), 'id').stdout.trim();
    assert.equal(config.container, longId);
    assert.equal(config.container_config?.Image, 'busybox');
    assert.equal(config.container_config?.Hostname, longId.slice(0, 12));
    await d.docker(['rm', '-f', 'long']);
    await d.docker(['rmi', 'committed:long']);
  });

  it('load of a bad archive: HTTP 200 with errorDetail in the stream, quiet or not; docker load prints it and exits 1', async () => {
    const notTar = Buffer.from('abc');
    // Not a tar; an empty tar (no manifest.json, no repositories).
    for (const [body, quiet] of [[notTar, '0'], [notTar, '1'], [Buffer.alloc(1024), '0']] as const) {
      const got = await http({ socketPath: d.socket, method: 'POST', path: `${API}/images/load?quiet=${quiet}`, body, headers: { 'Content-Type': 'application/x-tar' } });
      assert.equal(got.status, 200, got.body.toString());
      assert.equal(got.headers['content-type'], 'application/json');
      const lines = got.body.toString().split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as { error?: string; errorDetail?: { message: string } });
      const last = lines[lines.length - 1];
      assert.ok(last?.errorDetail?.message, got.body.toString());
      assert.equal(last?.error, last?.errorDetail?.message);
    }
    const cli = await d.docker(['load'], { input: notTar });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /invalid archive/);
  });
});
