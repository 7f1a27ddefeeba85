import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { run, TestDaemon } from '../../helpers/test-daemon.js';
import { ApiError } from '../../../src/client/engine-client.js';

/**
 * What a client of an older API version sees, as dockerd of that version shows it (the Engine
 * API changelog and moby's router version branches), with raw requests at /v1.xx as docker-py
 * and compose v1 send them. Also: volumes, plugins and build output in dockerd's shapes.
 */
describe('API version behaviour', () => {
  let d: TestDaemon;
  let scratch: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    scratch = await mkdtemp(join(tmpdir(), 'berth-apiv-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
    await d?.stop();
  });

  const json = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await d.client.raw({ method, path, ...(body !== undefined ? { body } : {}) }, false);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  };
  const failure = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; message: string }> => {
    try {
      await json(method, path, body);
    } catch (err) {
      if (err instanceof ApiError) return { status: err.status, message: err.message };
      throw err;
    }
    return { status: 200, message: '' };
  };

  it('image inspect: VirtualSize below 1.44, the runtime Config fields below 1.50, Container and ContainerConfig at every version', async () => {
    const old = await json<Record<string, unknown>>('GET', '/v1.41/images/busybox/json');
    assert.equal(old.VirtualSize, old.Size);
    assert.equal(old.Container, '');
    assert.equal((old.ContainerConfig as Record<string, unknown>).Hostname, '');
    assert.ok('Tty' in (old.Config as object));
    const v144 = await json<Record<string, unknown>>('GET', '/v1.44/images/busybox/json');
    assert.deepEqual(['VirtualSize' in v144, 'ContainerConfig' in v144, 'Container' in v144], [false, true, true]);
    const now = await json<Record<string, unknown>>('GET', '/v1.50/images/busybox/json');
    assert.deepEqual(['ContainerConfig' in now, 'Container' in now, 'Tty' in (now.Config as object), 'Hostname' in (now.Config as object)], [true, true, false, false]);
  });

  it('a committed image keeps the container and its config for older clients (compose v1 reads ContainerConfig)', async () => {
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'echo hi > /f'], HostConfig: { NetworkMode: 'none' } });
    try {
      await json('POST', `/v1.41/containers/${Id}/start`);
      await json('POST', `/v1.41/containers/${Id}/wait`);
      const { Id: image } = await json<{ Id: string }>('POST', `/v1.41/commit?container=${Id}&repo=apiv-committed&tag=1`);
      const inspect = await json<{ Container: string; ContainerConfig: { Cmd: string[]; Image: string; Hostname: string } }>('GET', `/v1.41/images/${image}/json`);
      assert.equal(inspect.Container, Id);
      assert.deepEqual(inspect.ContainerConfig.Cmd, ['sh', '-c', 'echo hi > /f']);
      // The container's own Config, as dockerd keeps it (docker-py's CommitTest reads Image).
      assert.deepEqual([inspect.ContainerConfig.Image, inspect.ContainerConfig.Hostname], ['busybox', Id.slice(0, 12)]);
      await json('DELETE', '/v1.41/images/apiv-committed:1');
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
  });

  it('compose v1 recreates a built service after an env change (it negotiates 1.50 and reads ContainerConfig)', { skip: !existsSync('/usr/bin/docker-compose') && 'docker-compose v1 is not installed' }, async () => {
    const dir = join(scratch, 'compose');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo built > /b\n');
    await writeFile(join(dir, 'docker-compose.yml'), 'version: "3.7"\nservices:\n  web:\n    build: .\n    image: apiv-web:1\n    command: ["sleep", "300"]\n    environment:\n      - A=${A_VAL:-1}\n    network_mode: none\n');
    const compose = (args: string[], extra: NodeJS.ProcessEnv = {}): ReturnType<typeof run> =>
      run('/usr/bin/docker-compose', ['-p', 'apiv', '-f', join(dir, 'docker-compose.yml'), ...args], { env: d.env({ ...extra, DOCKER_BUILDKIT: '0' }), timeoutMs: 120_000 });
    try {
      const up = await compose(['up', '-d', '--build']);
      assert.equal(up.code, 0, up.stderr);
      const recreate = await compose(['up', '-d'], { A_VAL: '2' });
      assert.equal(recreate.code, 0, recreate.stderr);
      assert.match(recreate.stderr, /Recreating apiv_web_1/);
      const env = await d.docker(['inspect', '-f', '{{json .Config.Env}}', 'apiv_web_1']);
      assert.match(env.stdout, /"A=2"/);
    } finally {
      const down = await compose(['down', '--rmi', 'all']);
      assert.equal(down.code, 0, down.stderr);
    }
  });

  it('image list: VirtualSize below 1.44, containers not counted before 1.51', async () => {
    const old = await json<Array<Record<string, unknown>>>('GET', '/v1.41/images/json');
    assert.ok(old.length > 0 && old.every((i) => i.VirtualSize === i.Size && i.Containers === -1));
    const now = await json<Array<Record<string, unknown>>>('GET', '/v1.50/images/json');
    assert.ok(now.every((i) => !('VirtualSize' in i)));
  });

  it('info: the deprecated fields older clients get', async () => {
    const old = await json<Record<string, Record<string, unknown>>>('GET', '/v1.41/info');
    assert.equal(old.BridgeNfIptables as unknown, false);
    assert.equal(old.ContainerdCommit?.Expected, '');
    assert.equal(old.RegistryConfig?.AllowNondistributableArtifactsCIDRs, null);
    const now = await json<Record<string, Record<string, unknown>>>('GET', '/v1.50/info');
    assert.deepEqual(['BridgeNfIptables' in now, 'Expected' in (now.ContainerdCommit ?? {}), 'AllowNondistributableArtifactsCIDRs' in (now.RegistryConfig ?? {})], [false, false, false]);
  });

  it('volume prune: below 1.42 named volumes go too, from 1.42 only anonymous ones unless all=true; volumes with mount options stay', async () => {
    const names = ['apiv-named-a', 'apiv-named-b'];
    for (const Name of names) await json('POST', '/v1.41/volumes/create', { Name });
    await json('POST', '/v1.41/volumes/create', { Name: 'apiv-tmpfs', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    await writeFile(join(await json<{ Mountpoint: string }>('GET', '/v1.41/volumes/apiv-named-a').then((v) => v.Mountpoint), 'data'), 'x'.repeat(4096));
    // Without a name a volume is anonymous, as on dockerd 23+ (docker-py 7's test_prune_volumes).
    const nameless = await json<{ Name: string; Labels: Record<string, string> }>('POST', '/v1.50/volumes/create', {});
    assert.deepEqual(nameless.Labels, { 'com.docker.volume.anonymous': '' });
    try {
      const modern = await json<{ VolumesDeleted: string[] }>('POST', '/v1.42/volumes/prune');
      assert.deepEqual(modern.VolumesDeleted.filter((n) => n.startsWith('apiv-') || n === nameless.Name), [nameless.Name]);
      const old = await json<{ VolumesDeleted: string[]; SpaceReclaimed: number }>('POST', '/v1.41/volumes/prune');
      assert.deepEqual(old.VolumesDeleted.filter((n) => n.startsWith('apiv-')).sort(), names);
      assert.equal(old.SpaceReclaimed, 4096);
      assert.deepEqual(await failure('POST', `/v1.50/volumes/prune?filters=${encodeURIComponent('{"all":["maybe"]}')}`), { status: 400, message: `invalid filter 'all': strconv.ParseBool: parsing "maybe": invalid syntax` });
      const all = await json<{ VolumesDeleted: string[] }>('POST', `/v1.50/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`);
      assert.deepEqual(all.VolumesDeleted.filter((n) => n.startsWith('apiv-')), []);
      assert.equal((await json<{ Name: string }>('GET', '/v1.50/volumes/apiv-tmpfs')).Name, 'apiv-tmpfs');
    } finally {
      for (const n of [...names, 'apiv-tmpfs']) await json('DELETE', `/v1.50/volumes/${n}?force=1`);
    }
  });

  it('container inspect: aliases on a user network add the short ID and hostname below 1.45', async () => {
    await json('POST', '/v1.41/networks/create', { Name: 'apiv-net' });
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create?name=apiv-aliased', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'apiv-net' }, NetworkingConfig: { EndpointsConfig: { 'apiv-net': { Aliases: ['foo'] } } } });
    try {
      type Inspect = { Config: { Hostname: string }; NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> } };
      const old = await json<Inspect>('GET', `/v1.44/containers/${Id}/json`);
      assert.deepEqual(old.NetworkSettings.Networks['apiv-net']?.Aliases, ['foo', Id.slice(0, 12)]);
      assert.equal(old.Config.Hostname, Id.slice(0, 12));
      const now = await json<Inspect>('GET', `/v1.45/containers/${Id}/json`);
      assert.deepEqual(now.NetworkSettings.Networks['apiv-net']?.Aliases, ['foo']);
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
      await json('DELETE', '/v1.41/networks/apiv-net');
    }
  });

  it('image list: API 1.24\'s filter parameter is a reference glob', async () => {
    const listed = await json<Array<{ RepoTags: string[] }>>('GET', '/v1.24/images/json?filter=busy*');
    assert.ok(listed.length > 0 && listed.every((i) => i.RepoTags.some((t) => t.startsWith('busybox'))), JSON.stringify(listed));
    assert.deepEqual(await json('GET', '/v1.24/images/json?filter=nosuch*'), []);
  });

  it('system df: type picks what to report from 1.42, ignored before; BuilderSize below 1.42', async () => {
    const volumesOnly = await json<Record<string, unknown>>('GET', '/v1.42/system/df?type=volume');
    assert.deepEqual([volumesOnly.Images, volumesOnly.Containers, volumesOnly.LayersSize, Array.isArray(volumesOnly.Volumes)], [null, null, 0, true]);
    assert.equal('BuilderSize' in volumesOnly, false);
    const old = await json<Record<string, unknown>>('GET', '/v1.41/system/df?type=volume');
    assert.deepEqual([Array.isArray(old.Images), Array.isArray(old.Containers), old.BuilderSize], [true, true, 0]);
    assert.deepEqual(await failure('GET', '/v1.42/system/df?type=bogus'), { status: 400, message: 'unknown object type: bogus' });
  });

  it('an unknown volume driver is 404 in dockerd\'s words', async () => {
    assert.deepEqual(await failure('POST', '/v1.41/volumes/create', { Name: 'apiv-x', Driver: 'invalid.driver' }), { status: 404, message: 'error looking up volume plugin invalid.driver: plugin "invalid.driver" not found' });
  });

  it('rm of a running container: "You cannot remove" below 1.44, the current wording after', async () => {
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } });
    try {
      await json('POST', `/v1.41/containers/${Id}/start`);
      const old = await failure('DELETE', `/v1.41/containers/${Id}`);
      assert.deepEqual(old, { status: 409, message: `You cannot remove a running container ${Id}. Stop the container before attempting removal or force remove` });
      const now = await failure('DELETE', `/v1.50/containers/${Id}`);
      assert.equal(now.status, 409);
      assert.match(now.message, /^cannot remove container ".*": container is running: stop the container before removing or force remove$/);
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
  });

  it('create: docker-py 5\'s top-level Runtime, an unknown log driver in dockerd\'s words, multiple networks refused below 1.44', async () => {
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], Runtime: 'runc', HostConfig: { NetworkMode: 'none' } });
    try {
      assert.equal((await json<{ HostConfig: { Runtime: string } }>('GET', `/v1.41/containers/${Id}/json`)).HostConfig.Runtime, 'runc');
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
    assert.deepEqual(await failure('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { LogConfig: { Type: 'asdf', Config: {} } } }), { status: 400, message: 'error looking up logging plugin asdf: plugin "asdf" not found' });
    assert.deepEqual(await failure('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { Runtime: 'nosuch' } }), { status: 400, message: 'unknown or invalid runtime name: nosuch' });
    assert.deepEqual(
      await failure('POST', '/v1.43/containers/create', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } } }),
      { status: 400, message: 'Container cannot be created with multiple network endpoints: a, b' },
    );
    assert.deepEqual(
      await failure('POST', '/v1.42/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/t', VolumeOptions: {} }] } }),
      { status: 400, message: 'VolumeOptions must not be specified on mount type "bind"' },
    );
  });

  it('create keeps what dockerd keeps without acting on it: --cidfile\'s ContainerIDFile, --userns=host, CpuCount', async () => {
    const cidfile = join(scratch, 'cid');
    const r = await d.docker(['run', '--cidfile', cidfile, '--userns', 'host', '--network', 'none', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const cid = (await readFile(cidfile, 'utf8')).trim();
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', CpuCount: 2 } });
    try {
      const first = await json<{ HostConfig: { ContainerIDFile: string; UsernsMode: string } }>('GET', `/v1.41/containers/${cid}/json`);
      assert.deepEqual([first.HostConfig.ContainerIDFile, first.HostConfig.UsernsMode], [cidfile, 'host']);
      assert.equal((await json<{ HostConfig: { CpuCount: number } }>('GET', `/v1.41/containers/${Id}/json`)).HostConfig.CpuCount, 2);
    } finally {
      await json('DELETE', `/v1.41/containers/${cid}?force=1`);
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
    const remap = await failure('POST', '/v1.41/containers/create', { Image: 'busybox', HostConfig: { UsernsMode: 'private' } });
    assert.equal(remap.status, 501);
    assert.match(remap.message, /no user-namespace remapping/);
  });

  it('plugins: list, privileges and unknown names as a dockerd without plugins; a created plugin is kept but never enabled', async () => {
    assert.deepEqual(await json('GET', '/v1.41/plugins'), []);
    assert.deepEqual(await json('GET', '/v1.41/plugins/privileges?remote=vieux/sshfs:latest'), []);
    assert.deepEqual(await failure('GET', '/v1.41/plugins/vieux/sshfs:latest/json'), { status: 404, message: 'plugin "vieux/sshfs:latest" not found' });
    assert.deepEqual(await failure('DELETE', '/v1.41/plugins/nope'), { status: 404, message: 'plugin "nope" not found' });
    const dir = join(scratch, 'plugin');
    await mkdir(join(dir, 'rootfs', 'dummy'), { recursive: true });
    await writeFile(join(dir, 'rootfs', 'dummy', 'file.txt'), '');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ description: 'dummy', entrypoint: ['/dummy'], network: { type: 'host' }, interface: { types: ['docker.volumedriver/1.0'], socket: 'dummy.sock' }, env: [{ name: 'DEBUG', settable: ['value'], value: '0' }] }));
    const created = await d.docker(['plugin', 'create', 'apiv/dummy', dir]);
    assert.equal(created.code, 0, created.stderr);
    try {
      const p = await json<{ Name: string; Enabled: boolean; Config: { Entrypoint: string[] }; Settings: { Env: string[] } }>('GET', '/v1.41/plugins/apiv/dummy/json');
      assert.deepEqual([p.Name, p.Enabled, p.Config.Entrypoint, p.Settings.Env], ['apiv/dummy:latest', false, ['/dummy'], ['DEBUG=0']]);
      const ls = await d.docker(['plugin', 'ls', '--format', '{{.Name}} {{.Enabled}}']);
      assert.equal(ls.stdout, 'apiv/dummy:latest false\n');
      const enable = await d.docker(['plugin', 'enable', 'apiv/dummy']);
      assert.equal(enable.code, 1);
      assert.match(enable.stderr, /enabling a plugin is not supported by this Berth version/);
    } finally {
      const removed = await d.docker(['plugin', 'rm', 'apiv/dummy']);
      assert.equal(removed.code, 0, removed.stderr);
    }
    assert.deepEqual(await json('GET', '/v1.41/plugins'), []);
  });

  it('build: a RUN step\'s stderr comes wrapped in red, as the legacy builder streams it', async () => {
    const ctx = join(scratch, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN sh -c ">&2 echo to-stderr; echo to-stdout"\n');
    const tar = spawnSync('tar', ['-C', ctx, '-c', '.']).stdout;
    const build = async (version: string): Promise<Array<{ stream?: string; aux?: { ID: string } }>> => {
      const res = await d.client.raw({ method: 'POST', path: `/v${version}/build`, query: { nocache: '1', rm: '1' }, stream: Readable.from([tar]) }, false);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { stream?: string; aux?: { ID: string } });
    };
    const messages = await build('1.41');
    const streams = messages.map((m) => m.stream);
    assert.ok(streams.includes('\x1b[91mto-stderr\n\x1b[0m'), JSON.stringify(streams));
    assert.ok(streams.includes('to-stdout\n'), JSON.stringify(streams));
    const id = messages.find((m) => m.aux)?.aux?.ID;
    assert.match(id ?? '', /^sha256:[0-9a-f]{64}$/);
    // Before 1.30 dockerd sends no aux message: the ID is only in "Successfully built".
    const old = await build('1.29');
    assert.equal(old.filter((m) => m.aux).length, 0);
    const oldId = old.map((m) => /Successfully built ([0-9a-f]+)/.exec(m.stream ?? '')?.[1]).find(Boolean);
    for (const image of [id, oldId]) if (image) await json('DELETE', `/v1.41/images/${image}?force=1`);
  });
  it('an exec whose command is not there: 126 for an API 1.41 client (dockerd 20.10), 127 from 1.42 (Docker 23+)', async () => {
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
    try {
      await json('POST', `/v1.41/containers/${Id}/start`);
      const exec = await json<{ Id: string }>('POST', `/v1.41/containers/${Id}/exec`, { Cmd: ['no-such-command'] });
      const start = await failure('POST', `/v1.41/exec/${exec.Id}/start`, { Detach: true });
      assert.ok(start.status >= 400, `a start that cannot run fails: ${start.status}`);
      assert.match(start.message, /executable file not found/);
      assert.equal((await json<{ ExitCode: number }>('GET', `/v1.41/exec/${exec.Id}/json`)).ExitCode, 126);
      assert.equal((await json<{ ExitCode: number }>('GET', `/v1.50/exec/${exec.Id}/json`)).ExitCode, 127);
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
  });
  it('create reads Config and HostConfig fields whatever their case, as Go decodes JSON (docker-py 5 sends CPURealtimePeriod)', async () => {
    const { Id } = await json<{ Id: string }>('POST', '/v1.41/containers/create', { image: 'busybox', CMD: ['true'], HostConfig: { CPURealtimePeriod: 1000, CPURealtimeRuntime: 500, networkmode: 'none' } });
    try {
      const c = await json<{ Config: { Image: string; Cmd: string[] }; HostConfig: Record<string, unknown> }>('GET', `/v1.41/containers/${Id}/json`);
      assert.deepEqual([c.Config.Image, c.Config.Cmd, c.HostConfig.CpuRealtimePeriod, c.HostConfig.CpuRealtimeRuntime, c.HostConfig.NetworkMode], ['busybox', ['true'], 1000, 500, 'none']);
    } finally {
      await json('DELETE', `/v1.41/containers/${Id}?force=1`);
    }
  });
});
