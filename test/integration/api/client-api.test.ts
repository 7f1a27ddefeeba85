import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ApiError, demuxStream, EngineClient, hijack, readAll } from '../../../src/client/index.js';
import { TestDaemon } from '../../helpers/test-daemon.js';

/** The examples of docs/client.md, run against a berthd: the documented API does what it says. */
describe('the typed client as a program uses it (docs/client.md)', () => {
  let d: TestDaemon;
  let client: EngineClient;
  before(async () => {
    d = await TestDaemon.start();
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    assert.equal(boot.code, 0, boot.stderr);
    client = new EngineClient(d.socket);
  });
  after(async () => {
    const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await d.docker(['rm', '-f', ...ids]);
    await d?.stop();
  });

  const text = (): { sink: PassThrough; done: Promise<string> } => {
    const sink = new PassThrough();
    return { sink, done: readAll(sink).then((b) => b.toString()) };
  };

  test('version and image list', async () => {
    const version = await client.json<{ ApiVersion: string; Os: string }>({ method: 'GET', path: '/version' });
    assert.equal(version.Os, 'linux');
    const images = await client.json<Array<{ RepoTags: string[] }>>({ method: 'GET', path: '/images/json' });
    assert.ok(images.some((i) => i.RepoTags.includes('busybox:latest')));
  });

  test('run a container: create, start, wait, logs, remove', async () => {
    const { Id } = await client.json<{ Id: string }>({
      method: 'POST',
      path: '/containers/create',
      query: { name: 'client-example' },
      body: { Image: 'busybox', Cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] },
    });
    await client.noContent({ method: 'POST', path: `/containers/${Id}/start` });
    const { StatusCode } = await client.json<{ StatusCode: number }>({ method: 'POST', path: `/containers/${Id}/wait` });
    assert.equal(StatusCode, 3);
    const logs = await client.raw({ method: 'GET', path: `/containers/${Id}/logs`, query: { stdout: true, stderr: true } });
    const out = text();
    const err = text();
    await demuxStream(logs, out.sink, err.sink);
    out.sink.end();
    err.sink.end();
    assert.equal(await out.done, 'hello\n');
    assert.equal(await err.done, 'oops\n');
    await client.noContent({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } });
  });

  test('errors carry the daemon\'s status and message', async () => {
    await assert.rejects(client.json({ method: 'GET', path: '/containers/nosuch/json' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 404);
      assert.equal(e.message, 'No such container: nosuch');
      return true;
    });
  });

  test('exec with a hijacked stream', async () => {
    const { Id } = await client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', body: { Image: 'busybox', Cmd: ['sleep', '60'] } });
    await client.noContent({ method: 'POST', path: `/containers/${Id}/start` });
    const exec = await client.json<{ Id: string }>({
      method: 'POST',
      path: `/containers/${Id}/exec`,
      body: { Cmd: ['sh', '-c', 'read x; echo "got $x"'], AttachStdin: true, AttachStdout: true, AttachStderr: true },
    });
    const socket = await hijack(client, { method: 'POST', path: `/exec/${exec.Id}/start`, body: { Detach: false, Tty: false } });
    socket.end('input\n'); // stdin, then half-close: the process sees EOF
    const out = text();
    const err = text();
    await demuxStream(socket, out.sink, err.sink);
    out.sink.end();
    err.sink.end();
    assert.equal(await out.done, 'got input\n');
    const info = await client.json<{ ExitCode: number }>({ method: 'GET', path: `/exec/${exec.Id}/json` });
    assert.equal(info.ExitCode, 0);
    await client.noContent({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } });
  });

  test('progress streams: save an image and load it back', async () => {
    const tar = await readAll(await client.raw({ method: 'GET', path: '/images/get', query: { names: ['busybox:latest'] } }));
    const messages: string[] = [];
    await client.jsonLines({ method: 'POST', path: '/images/load', stream: (await import('node:stream')).Readable.from([tar]) }, (m) => {
      if (m.stream) messages.push(m.stream.trim());
    });
    assert.deepEqual(messages, ['Loaded image: busybox:latest']);
  });
});
