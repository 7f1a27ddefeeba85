import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { compatArea, fails, lines, ok, uniq } from './compat.js';

/** Named and anonymous volumes, bind mounts, tmpfs, and the volume commands' --format/--filter. */
compatArea('volumes and mounts', (t) => {
  const volume = async (args: string[] = []): Promise<string> => {
    const name = uniq('vol');
    const r = ok(await t().docker(['volume', 'create', ...args, name]), 'volume create');
    assert.equal(r.stdout, `${name}\n`);
    return name;
  };

  test('volume create prints the name; volume ls lists it under docker\'s header', async () => {
    const name = await volume();
    const r = ok(await t().docker(['volume', 'ls']), 'volume ls');
    assert.match(lines(r)[0] ?? '', /^DRIVER\s+VOLUME NAME$/);
    assert.match(r.stdout, new RegExp(`^local\\s+${name}$`, 'm'));
  });

  test('volume create without a name makes a 64-hex name', async () => {
    const r = ok(await t().docker(['volume', 'create']), 'volume create');
    assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
  });

  test('volume ls -q and --format', async () => {
    const name = await volume();
    assert.ok(lines(ok(await t().docker(['volume', 'ls', '-q']), 'ls')).includes(name));
    assert.ok(lines(ok(await t().docker(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}']), 'ls')).includes(`${name}:local`));
  });

  test('volume ls --filter name= and label=', async () => {
    const name = await volume(['--label', 'purpose=compat']);
    assert.deepEqual(lines(ok(await t().docker(['volume', 'ls', '-q', '--filter', `name=${name}`]), 'ls')), [name]);
    assert.ok(lines(ok(await t().docker(['volume', 'ls', '-q', '--filter', 'label=purpose=compat']), 'ls')).includes(name));
  });

  test('volume ls --filter dangling=true lists unused volumes only', async () => {
    const unused = await volume();
    const used = await volume();
    ok(await t().docker(['create', '-v', `${used}:/data`, 'busybox', 'true']), 'create');
    const r = lines(ok(await t().docker(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'ls'));
    assert.ok(r.includes(unused) && !r.includes(used));
  });

  test('volume ls --filter with an unknown key fails', async () => {
    fails(await t().docker(['volume', 'ls', '--filter', 'nosuchkey=1']), 1, /invalid filter 'nosuchkey'/i);
  });

  test('volume ls --format json', async () => {
    const name = await volume();
    const rows = lines(ok(await t().docker(['volume', 'ls', '--format', 'json']), 'ls')).map((l) => JSON.parse(l) as { Name: string; Driver: string; Scope: string });
    const v = rows.find((x) => x.Name === name);
    assert.equal(v?.Driver, 'local');
    assert.equal(v?.Scope, 'local');
  });

  test('volume inspect --format .Driver .Name .Labels', async () => {
    const name = await volume(['--label', 'a=b']);
    const r = ok(await t().docker(['volume', 'inspect', '-f', '{{.Driver}} {{.Name}} {{json .Labels}} {{.Scope}}', name]), 'inspect');
    assert.equal(r.stdout, `local ${name} {"a":"b"} local\n`);
  });

  test('volume inspect .Mountpoint is an absolute path', async () => {
    const name = await volume();
    assert.match(ok(await t().docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', name]), 'inspect').stdout, /^\/.*\/_data\n$/);
  });

  test('volume inspect of a missing volume fails', async () => {
    fails(await t().docker(['volume', 'inspect', 'nosuchvolume']), 1, /no such volume/i);
  });

  test('volume rm removes it', async () => {
    const name = await volume();
    assert.equal(ok(await t().docker(['volume', 'rm', name]), 'rm').stdout, `${name}\n`);
    assert.equal((await t().docker(['volume', 'inspect', name])).code, 1);
  });

  test('volume rm of a missing volume fails', async () => {
    fails(await t().docker(['volume', 'rm', 'nosuchvolume']), 1, /no such volume/i);
  });

  test('volume rm of a volume in use is refused', async () => {
    const name = await volume();
    ok(await t().docker(['create', '-v', `${name}:/data`, 'busybox', 'true']), 'create');
    fails(await t().docker(['volume', 'rm', name]), 1, /volume is in use/);
  });

  test('volume prune -f removes unused anonymous volumes', async () => {
    const r = ok(await t().docker(['volume', 'prune', '-f']), 'prune');
    assert.match(r.stdout, /Total reclaimed space: /);
  });

  test('volume create with an unknown driver fails', async () => {
    const r = await t().docker(['volume', 'create', '-d', 'nosuchdriver', uniq('vol')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nosuchdriver/);
  });

  test('data in a named volume outlives the container', async () => {
    const name = await volume();
    ok(await t().docker(['run', '--rm', '-v', `${name}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/f']), 'write');
    assert.equal(ok(await t().docker(['run', '--rm', '-v', `${name}:/data`, 'busybox', 'cat', '/data/f']), 'read').stdout, 'kept\n');
  });

  test('run -v with a new name creates the volume, copying the image\'s content', async () => {
    const name = uniq('auto');
    assert.equal(ok(await t().docker(['run', '--rm', '-v', `${name}:/etc`, 'busybox', 'sh', '-c', 'test -f /etc/passwd && echo copied']), 'run').stdout, 'copied\n');
    ok(await t().docker(['volume', 'inspect', name]), 'created by run');
  });

  test('a :ro volume cannot be written', async () => {
    const name = await volume();
    const r = await t().docker(['run', '--rm', '-v', `${name}:/data:ro`, 'busybox', 'touch', '/data/x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Read-only file system/);
  });

  test('run -v /path makes an anonymous volume shown in inspect .Mounts', async () => {
    const cname = uniq('anon');
    ok(await t().docker(['create', '--name', cname, '-v', '/anon', 'busybox', 'true']), 'create');
    const r = ok(await t().docker(['inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Destination}} {{len .Name}}{{end}}', cname]), 'inspect');
    assert.equal(r.stdout, 'volume /anon 64\n');
  });

  test('rm -v removes the anonymous volumes of a container', async () => {
    const cname = uniq('anon-rm');
    ok(await t().docker(['create', '--name', cname, '-v', '/anon', 'busybox', 'true']), 'create');
    const vol = ok(await t().docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', cname]), 'inspect').stdout.trim();
    ok(await t().docker(['rm', '-v', cname]), 'rm -v');
    assert.equal((await t().docker(['volume', 'inspect', vol])).code, 1);
  });

  test('a bind mount shows host files in the container', async () => {
    const dir = join(t().scratch, uniq('bind'));
    await mkdir(dir);
    await writeFile(join(dir, 'host.txt'), 'from host\n');
    assert.equal(ok(await t().docker(['run', '--rm', '-v', `${dir}:/host`, 'busybox', 'cat', '/host/host.txt']), 'run').stdout, 'from host\n');
  });

  test('a bind mount is writable from the container', async () => {
    const dir = join(t().scratch, uniq('bindw'));
    await mkdir(dir);
    ok(await t().docker(['run', '--rm', '-v', `${dir}:/host`, 'busybox', 'sh', '-c', 'echo back > /host/back.txt']), 'run');
    assert.equal(await readFile(join(dir, 'back.txt'), 'utf8'), 'back\n');
  });

  test('--mount type=bind of a missing source fails', async () => {
    const r = await t().docker(['run', '--rm', '--mount', `type=bind,source=${join(t().scratch, 'missing-src')},target=/x`, 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /bind source path does not exist/);
  });

  test('--mount type=volume', async () => {
    const name = await volume();
    ok(await t().docker(['run', '--rm', '--mount', `type=volume,source=${name},target=/v`, 'busybox', 'sh', '-c', 'echo m > /v/m']), 'run');
    assert.equal(ok(await t().docker(['run', '--rm', '-v', `${name}:/v`, 'busybox', 'cat', '/v/m']), 'run').stdout, 'm\n');
  });

  test('--tmpfs mounts a tmpfs', async () => {
    const r = ok(await t().docker(['run', '--rm', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/mounts | cut -d" " -f3']), 'run');
    assert.equal(r.stdout, 'tmpfs\n');
  });

  test('--mount type=tmpfs', async () => {
    const r = ok(await t().docker(['run', '--rm', '--mount', 'type=tmpfs,target=/t', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts | cut -d" " -f3']), 'run');
    assert.equal(r.stdout, 'tmpfs\n');
  });

  test('--volumes-from shares another container\'s volumes', async () => {
    const src = uniq('vfrom');
    ok(await t().docker(['run', '--name', src, '-v', '/shared', 'busybox', 'sh', '-c', 'echo shared > /shared/f']), 'run');
    assert.equal(ok(await t().docker(['run', '--rm', '--volumes-from', src, 'busybox', 'cat', '/shared/f']), 'run').stdout, 'shared\n');
  });

  test('a relative bind source is refused by the CLI or engine', async () => {
    const r = await t().docker(['run', '--rm', '-v', 'rel/dir:/x', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /includes invalid characters for a local volume name|invalid/);
  });
});
