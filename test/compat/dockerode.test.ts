import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { test } from 'node:test';
import Docker from 'dockerode';
import { compatArea, ok, uniq } from './compat.js';

/**
 * dockerode, the most used Node client of the Engine API, against the engine under test. The same
 * file runs against a private dockerd (BERTH_TEST_TARGET=docker), so every value asserted here is
 * what dockerode gets from Docker too.
 */
compatArea('dockerode', (t) => {
  const api = (): Docker => new Docker({ socketPath: t().socket });

  const collect = async (stream: Readable): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString();
  };

  /** Splits a multiplexed stream into stdout and stderr text with dockerode's own demuxer. */
  const demux = async (docker: Docker, stream: NodeJS.ReadableStream): Promise<{ out: string; err: string }> => {
    const out = new PassThrough();
    const err = new PassThrough();
    const outText = collect(out);
    const errText = collect(err);
    docker.modem.demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    out.end();
    err.end();
    return { out: await outText, err: await errText };
  };

  test('ping and version', async () => {
    const docker = api();
    assert.equal(String(await docker.ping()), 'OK');
    const v = await docker.version();
    assert.match(v.ApiVersion, /^1\.\d+$/);
    assert.equal(v.Os, 'linux');
  });

  test('listImages and getImage().inspect', async () => {
    const docker = api();
    const images = await docker.listImages();
    const bb = images.find((i) => i.RepoTags?.includes('busybox:latest'));
    assert.ok(bb);
    const info = await docker.getImage('busybox').inspect();
    assert.equal(info.Id, bb.Id);
    assert.deepEqual(info.Config.Cmd, ['sh']);
  });

  test('getImage().inspect of a missing image rejects with statusCode 404', async () => {
    await assert.rejects(api().getImage('nosuchimage:nope').inspect(), (e: { statusCode?: number; json?: { message?: string } }) => {
      assert.equal(e.statusCode, 404);
      assert.match(e.json?.message ?? '', /No such image: nosuchimage:nope/);
      return true;
    });
  });

  test('createContainer, start, wait, logs, remove', async () => {
    const docker = api();
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], name: uniq('ode') });
    assert.match(c.id, /^[0-9a-f]{64}$/);
    await c.start();
    const w = (await c.wait()) as { StatusCode: number };
    assert.equal(w.StatusCode, 3);
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    const buf = Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs));
    // Not a TTY: frames of docker's 8-byte header (stream, 0, 0, 0, length) and the payload. The
    // order of lines written to two streams at once is not defined, so compare per stream.
    const streams: Record<number, string> = { 1: '', 2: '' };
    for (let at = 0; at < buf.length; ) {
      const kind = buf[at] ?? 0;
      const size = buf.readUInt32BE(at + 4);
      assert.ok(kind === 1 || kind === 2, `frame stream ${kind}`);
      streams[kind] += buf.subarray(at + 8, at + 8 + size).toString();
      at += 8 + size;
    }
    assert.deepEqual(streams, { 1: 'out\n', 2: 'err\n' });
    await c.remove();
    await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  test('createContainer with a name conflict rejects with 409', async () => {
    const docker = api();
    const name = uniq('ode-dup');
    await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name });
    await assert.rejects(docker.createContainer({ Image: 'busybox', Cmd: ['true'], name }), (e: { statusCode?: number }) => e.statusCode === 409);
  });

  test('attach (hijacked) before start gets stdout and stderr apart', async () => {
    const docker = api();
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2'], AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const texts = demux(docker, stream);
    await c.start();
    await c.wait();
    const { out, err } = await texts;
    assert.equal(out, 'to-out\n');
    assert.equal(err, 'to-err\n');
    await c.remove({ force: true });
  });

  test('attach with stdin (hijacked) sends input to the container', async () => {
    const docker = api();
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo "got $line"'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true });
    const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    const texts = demux(docker, stream);
    await c.start();
    stream.write('hello\n');
    await c.wait();
    assert.equal((await texts).out, 'got hello\n');
    await c.remove({ force: true });
  });

  test('exec create, start (hijacked), inspect', async () => {
    const docker = api();
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo exec-out; exit 4'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const { out } = await demux(docker, stream);
    assert.equal(out, 'exec-out\n');
    const info = await exec.inspect();
    assert.equal(info.ExitCode, 4);
    assert.equal(info.Running, false);
    await c.remove({ force: true });
  });

  test('listContainers with filters and all', async () => {
    const docker = api();
    const name = uniq('ode-list');
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name, Labels: { ode: 'yes' } });
    const running = await docker.listContainers({ filters: { label: ['ode=yes'] } });
    assert.equal(running.length, 0);
    const all = await docker.listContainers({ all: true, filters: { label: ['ode=yes'] } });
    assert.deepEqual(all.map((x) => x.Names[0]), [`/${name}`]);
    assert.equal(all[0]?.State, 'created');
    await c.remove();
  });

  test('container inspect has the fields tools read', async () => {
    const docker = api();
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '30'], Env: ['A=1'] });
    await c.start();
    const info = await c.inspect();
    assert.equal(info.State.Running, true);
    assert.ok(info.State.Pid > 0);
    assert.equal(info.Config.Image, 'busybox');
    assert.ok(info.Config.Env.includes('A=1'));
    assert.equal(info.Path, 'sleep');
    assert.deepEqual(info.Args, ['30']);
    await c.stop({ t: 0 });
    const after = await c.inspect();
    assert.equal(after.State.Running, false);
    await c.remove();
  });

  test('createVolume, listVolumes, getVolume().remove', async () => {
    const docker = api();
    const name = uniq('ode-vol');
    await docker.createVolume({ Name: name, Labels: { ode: 'yes' } });
    const list = await docker.listVolumes({ filters: { label: ['ode=yes'] } });
    assert.deepEqual(list.Volumes.map((v) => v.Name), [name]);
    await docker.getVolume(name).remove();
  });

  test('pull through dockerode', async () => {
    // No registry here: the comparable part is how the failure reaches the caller.
    await assert.rejects(
      new Promise((resolve, reject) => {
        void api().pull('127.0.0.1:1/nosuch/image:v1', (err: Error | null, stream?: NodeJS.ReadableStream) => {
          if (err) return reject(err);
          api().modem.followProgress(stream as NodeJS.ReadableStream, (e: Error | null) => (e ? reject(e) : resolve(undefined)));
        });
      }),
      /connection refused/,
    );
  });

  test('buildImage from a tar context', async () => {
    const docker = api();
    const { default: tarStream } = await import('tar-stream');
    const pack = tarStream.pack();
    pack.entry({ name: 'Dockerfile' }, 'FROM busybox\nRUN echo built > /b\nCMD ["cat", "/b"]\n');
    pack.finalize();
    const ref = `${uniq('ode-built')}:v1`;
    const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: ref });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve(undefined))));
    const r = ok(await t().docker(['run', '--rm', ref]), 'run built');
    assert.equal(r.stdout, 'built\n');
  });

  test('getEvents streams a container\'s lifecycle', async () => {
    const docker = api();
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = uniq('ode-ev');
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], name });
    await c.start();
    await c.wait();
    await new Promise((r) => setTimeout(r, 1100));
    const stream = (await docker.getEvents({ since, until: Math.floor(Date.now() / 1000), filters: { container: [name] } })) as unknown as Readable;
    const text = await collect(stream);
    const actions = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Action: string }).Action);
    assert.deepEqual(actions.filter((a) => ['create', 'start', 'die'].includes(a)), ['create', 'start', 'die']);
  });
});
