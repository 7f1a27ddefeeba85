import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { compatArea, fails, lines, ok, uniq } from './compat.js';
import { run } from '../helpers/test-daemon.js';

/** Files in and out of containers: cp, diff, commit, export. */
compatArea('cp, diff, commit, export', (t) => {
  const created = async (cmd: string[] = ['true']): Promise<string> => {
    const name = uniq('files');
    ok(await t().docker(['create', '--name', name, 'busybox', ...cmd]), 'create');
    return name;
  };
  const ran = async (script: string): Promise<string> => {
    const name = uniq('files-ran');
    ok(await t().docker(['run', '--name', name, 'busybox', 'sh', '-c', script]), 'run');
    return name;
  };

  test('cp a file out of a container', async () => {
    const name = await ran('echo content > /out.txt');
    const dest = join(t().scratch, uniq('out'));
    ok(await t().docker(['cp', `${name}:/out.txt`, dest]), 'cp out');
    assert.equal(await readFile(dest, 'utf8'), 'content\n');
  });

  test('cp a file into a container', async () => {
    const src = join(t().scratch, uniq('in'));
    await writeFile(src, 'copied in\n');
    const name = await created(['cat', '/in.txt']);
    ok(await t().docker(['cp', src, `${name}:/in.txt`]), 'cp in');
    const r = ok(await t().docker(['start', '-a', name]), 'start');
    assert.equal(r.stdout, 'copied in\n');
  });

  test('cp a directory into a container keeps its tree', async () => {
    const dir = join(t().scratch, uniq('tree'));
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'sub', 'f'), 'deep\n');
    const name = await created(['cat', '/dst/sub/f']);
    ok(await t().docker(['cp', dir, `${name}:/dst`]), 'cp dir');
    assert.equal(ok(await t().docker(['start', '-a', name]), 'start').stdout, 'deep\n');
  });

  test('cp a directory out of a container', async () => {
    const name = await ran('mkdir -p /d/e && echo x > /d/e/f');
    const dest = join(t().scratch, uniq('dirout'));
    ok(await t().docker(['cp', `${name}:/d`, dest]), 'cp dir out');
    assert.equal(await readFile(join(dest, 'e', 'f'), 'utf8'), 'x\n');
  });

  test('cp to - writes a tar to stdout', async () => {
    const name = await ran('echo tarred > /t.txt');
    const dest = join(t().scratch, uniq('tar'));
    await mkdir(dest);
    const r = await run('sh', ['-c', `docker cp ${name}:/t.txt - | tar -x -C ${dest}`], { env: t().env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(dest, 't.txt'), 'utf8'), 'tarred\n');
  });

  test('cp from - extracts a tar from stdin', async () => {
    const dir = join(t().scratch, uniq('tarin'));
    await mkdir(dir);
    await writeFile(join(dir, 'from-tar'), 'via stdin\n');
    const name = await created(['cat', '/from-tar']);
    const r = await run('sh', ['-c', `tar -c -C ${dir} from-tar | docker cp - ${name}:/`], { env: t().env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ok(await t().docker(['start', '-a', name]), 'start').stdout, 'via stdin\n');
  });

  test('cp from a running container', async () => {
    const name = uniq('cp-running');
    ok(await t().docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo live > /live; sleep 60']), 'run');
    const dest = join(t().scratch, uniq('live'));
    let r = await t().docker(['cp', `${name}:/live`, dest]);
    for (let i = 0; i < 30 && r.code !== 0; i++) r = await t().docker(['cp', `${name}:/live`, dest]);
    ok(r, 'cp');
    assert.equal(await readFile(dest, 'utf8'), 'live\n');
  });

  test('cp of a missing path fails naming it', async () => {
    const name = await created();
    fails(await t().docker(['cp', `${name}:/no/such/file`, t().scratch]), 1, /Could not find the file \/no\/such\/file in container/);
  });

  test('cp into a missing directory fails', async () => {
    const src = join(t().scratch, uniq('src'));
    await writeFile(src, 'x');
    const name = await created();
    const r = await t().docker(['cp', src, `${name}:/no/such/dir/`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such directory|Could not find the file|not a directory/i);
  });

  test('cp from a missing container fails', async () => {
    fails(await t().docker(['cp', 'nosuchcontainer:/etc/passwd', t().scratch]), 1, /No such container: nosuchcontainer/);
  });

  test('diff lists added, changed and deleted paths', async () => {
    const name = await ran('echo x > /added; rm /bin/cat; touch /etc/passwd');
    const r = ok(await t().docker(['diff', name]), 'diff');
    assert.ok(lines(r).includes('A /added'), r.stdout);
    assert.ok(lines(r).includes('D /bin/cat'), r.stdout);
    assert.ok(lines(r).includes('C /etc'), r.stdout);
    assert.ok(lines(r).includes('C /etc/passwd'), r.stdout);
  });

  test('diff of an unchanged container is empty', async () => {
    const name = await ran('true');
    assert.equal(ok(await t().docker(['diff', name]), 'diff').stdout, '');
  });

  test('diff of a missing container fails', async () => {
    fails(await t().docker(['diff', 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });

  test('commit makes an image holding the changes', async () => {
    const name = await ran('echo committed > /c.txt');
    const ref = `${uniq('committed')}:v1`;
    const r = ok(await t().docker(['commit', name, ref]), 'commit');
    assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(await t().docker(['run', '--rm', ref, 'cat', '/c.txt']), 'run').stdout, 'committed\n');
  });

  test('commit -c CMD and --change ENV set the config', async () => {
    const name = await ran('true');
    const ref = `${uniq('committed-c')}:v1`;
    ok(await t().docker(['commit', '-c', 'CMD ["echo", "from-cmd"]', '--change', 'ENV GREETING=hi', name, ref]), 'commit');
    assert.equal(ok(await t().docker(['run', '--rm', ref]), 'run').stdout, 'from-cmd\n');
    assert.equal(ok(await t().docker(['run', '--rm', ref, 'sh', '-c', 'echo $GREETING']), 'run').stdout, 'hi\n');
  });

  test('commit -m and -a show in history and inspect', async () => {
    const name = await ran('true');
    const ref = `${uniq('committed-m')}:v1`;
    ok(await t().docker(['commit', '-m', 'a message', '-a', 'Compat Author', name, ref]), 'commit');
    assert.equal(ok(await t().docker(['image', 'inspect', '-f', '{{.Author}}|{{.Comment}}', ref]), 'inspect').stdout, 'Compat Author|a message\n');
    assert.equal(lines(ok(await t().docker(['history', '--format', '{{.Comment}}', ref]), 'history'))[0], 'a message');
  });

  test('commit of a running container pauses it and it keeps running', async () => {
    const name = uniq('commit-running');
    ok(await t().docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo r > /r; sleep 60']), 'run');
    const ref = `${uniq('committed-r')}:v1`;
    ok(await t().docker(['commit', name, ref]), 'commit');
    assert.equal(ok(await t().docker(['inspect', '-f', '{{.State.Status}}', name]), 'inspect').stdout, 'running\n');
  });

  test('commit with an invalid --change instruction fails', async () => {
    const name = await ran('true');
    const r = await t().docker(['commit', '-c', 'FROM busybox', name, 'x-bad-change:v1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FROM/i);
  });

  test('commit of a missing container fails', async () => {
    fails(await t().docker(['commit', 'nosuchcontainer', 'x-none:v1']), 1, /No such container: nosuchcontainer/);
  });

  test('export -o writes the container\'s filesystem as a tar', async () => {
    const name = await ran('echo exported > /exported');
    const file = join(t().scratch, `${uniq('export')}.tar`);
    ok(await t().docker(['export', '-o', file, name]), 'export');
    const list = await run('tar', ['-tf', file]);
    assert.ok(lines(list).some((l) => l.replace(/^\.\//, '') === 'exported'), 'exported in the tar');
    assert.ok(lines(list).some((l) => l.replace(/^\.\//, '') === 'bin/busybox'), 'bin/busybox in the tar');
  });

  test('export to stdout', async () => {
    const name = await created();
    const r = await run('sh', ['-c', `docker export ${name} | tar -t | grep -c busybox`], { env: t().env() });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number(r.stdout.trim()) >= 1);
  });

  test('export to a terminal-less stdout of a missing container fails', async () => {
    fails(await t().docker(['export', '-o', join(t().scratch, 'none.tar'), 'nosuchcontainer']), 1, /No such container: nosuchcontainer/);
  });
});
