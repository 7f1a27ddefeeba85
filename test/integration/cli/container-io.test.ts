import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeContainersAndStop } from '../../helpers/container-cleanup.js';
import { PtySession, shellQuote } from '../../helpers/pty-session.js';
import { BERTH_JS, DOCKER, NODE, run, TestDaemon, type RunResult } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

type CliName = 'docker' | 'berth';
const CLIS: CliName[] = ['docker', 'berth'];

/**
 * Terminal sessions, attach/detach, commit, diff, cp and export/import, each run with the real
 * docker CLI and with berth's: the same daemon must look the same through both.
 */
describe('container I/O with the docker and berth CLIs', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await TestDaemon.startWithBusybox();
    work = join(d.root, 'work');
    await mkdir(work);
  });
  after(() => removeContainersAndStop(d));

  const cli = (name: CliName, args: string[], input?: string | Buffer): Promise<RunResult> =>
    name === 'docker' ? d.docker(args, input !== undefined ? { input } : {}) : d.berth(args, input !== undefined ? { input } : {});
  /** The CLI as a shell command prefix, for `script` and pipelines. */
  const shellCli = (name: CliName): string => (name === 'docker' ? shellQuote(DOCKER) : `${shellQuote(NODE)} ${shellQuote(BERTH_JS)}`);
  const sh = (line: string): Promise<RunResult> => run('sh', ['-c', line], { env: d.env() });
  const terminal = (name: CliName, args: string[]): Promise<PtySession> =>
    PtySession.start(`${shellCli(name)} ${args.map(shellQuote).join(' ')}`, d.env(), { rows: 33, cols: 99 });

  for (const name of CLIS) {
    test(`${name}: run -it drives a shell on a terminal, with its size and resizes`, async () => {
      const s = await terminal(name, ['run', '--rm', '-it', 'busybox', 'sh']);
      try {
        await s.expect(/# /);
        s.type('echo $((6*7))\r');
        await s.expect(/\r\n42\r\n/);
        s.type('stty size\r');
        await s.expect(/\r\n33 99\r\n/);
        // Resizing the outer terminal sends the CLI SIGWINCH; the container's terminal follows.
        ok(await run('stty', ['-F', s.tty, 'rows', '40', 'cols', '100']), 'stty -F');
        // The new size travels CLI (SIGWINCH) → daemon → monitor; ask again until it has arrived.
        const mark = s.text.length;
        await until(async () => {
          s.type('stty size\r');
          await sleep(300);
          return /\r\n40 100\r\n/.test(s.text.slice(mark)) ? true : undefined;
        }, 'the resized terminal', 15_000);
        s.type('exit 3\r');
        assert.equal(await s.exit(), 3);
        // Output post-processing is off on the raw terminal, so the container's "\r\n" is not doubled.
        assert.doesNotMatch(s.text, /\r\r\n/);
      } finally {
        s.kill();
      }
    });

    test(`${name}: attach to a running -it container, detach with ctrl-p ctrl-q`, async () => {
      const id = ok(await cli(name, ['run', '-dit', 'busybox', 'sh']), 'run -dit').stdout.trim();
      const s = await terminal(name, ['attach', id]);
      try {
        // attach resizes the terminal, so the shell redraws its prompt.
        await s.expect(/# /);
        s.type('echo $((6*7))\r');
        await s.expect(/\r\n42\r\n/);
        s.type('\x10\x11');
        // docker attach reports the detach as its error: "read escape sequence", status 1.
        assert.equal(await s.exit(), 1);
        assert.match(s.text, /read escape sequence/);
      } finally {
        s.kill();
      }
      assert.equal(ok(await cli(name, ['inspect', '-f', '{{.State.Running}}', id]), 'inspect').stdout, 'true\n');
      // The shell is still there, and kept what the detached session typed.
      const again = await terminal(name, ['attach', id]);
      try {
        await again.expect(/# /);
        again.type('exit 7\r');
        assert.equal(await again.exit(), 7);
      } finally {
        again.kill();
      }
      assert.equal(ok(await cli(name, ['wait', id]), 'wait').stdout, '7\n');
    });

    test(`${name}: exec -it runs a shell on a terminal`, async () => {
      const id = ok(await cli(name, ['run', '-d', 'busybox', 'sleep', '60']), 'run -d').stdout.trim();
      const s = await terminal(name, ['exec', '-it', id, 'sh']);
      try {
        await s.expect(/# /);
        s.type('echo $((6*7)); stty size; tty\r');
        await s.expect(/\r\n42\r\n33 99\r\n\/dev\/pts\/\d+\r\n/);
        s.type('exit 4\r');
        assert.equal(await s.exit(), 4);
      } finally {
        s.kill();
      }
      ok(await cli(name, ['rm', '-f', id]), 'rm -f');
    });

    test(`${name}: commit keeps the change, -c and -m`, async () => {
      const ctr = `commit-src-${name}`;
      ok(await cli(name, ['run', '--name', ctr, 'busybox', 'sh', '-c', 'echo made > /newfile']), 'run');
      const id = ok(await cli(name, ['commit', '-c', 'ENV X=1', '-m', `by ${name}`, ctr, `committed-${name}:v1`]), 'commit').stdout.trim();
      assert.match(id, /^sha256:[a-f0-9]{64}$/);
      const r = ok(await cli(name, ['run', '--rm', `committed-${name}:v1`, 'sh', '-c', 'cat /newfile; echo X=$X']), 'run committed');
      assert.equal(r.stdout, 'made\nX=1\n');
      assert.equal(ok(await cli(name, ['image', 'inspect', '-f', '{{.Comment}} {{.Id}}', `committed-${name}:v1`]), 'inspect').stdout, `by ${name} ${id}\n`);
      // The runtime's mount points (/etc/hostname…) are not part of the committed layer.
      const diff = ok(await cli(name, ['diff', ctr]), 'diff').stdout;
      assert.equal(diff, 'A /newfile\n');
    });

    test(`${name}: diff lists added, changed and deleted paths`, async () => {
      const base = `diff-base-${name}`;
      ok(await cli(name, ['run', '--name', `${base}-src`, 'busybox', 'touch', '/removed']), 'run');
      ok(await cli(name, ['commit', `${base}-src`, base]), 'commit');
      const ctr = `diff-${name}`;
      ok(await cli(name, ['run', '--name', ctr, base, 'sh', '-c', 'rm /removed; echo x > /newfile; echo extra:x:5: >> /etc/group']), 'run');
      const expected = 'C /etc\nC /etc/group\nA /newfile\nD /removed\n';
      assert.equal(ok(await cli(name, ['diff', ctr]), 'diff').stdout, expected);
      assert.equal(ok(await cli(name, ['container', 'diff', ctr]), 'container diff').stdout, expected);
    });

    test(`${name}: cp in and out: a file, a directory, its contents, tar on stdin and stdout`, async () => {
      const dir = join(work, `cp-${name}`);
      await mkdir(join(dir, 'tree/sub'), { recursive: true });
      await writeFile(join(dir, 'local'), 'local file\n');
      await writeFile(join(dir, 'tree/a'), 'a\n');
      await writeFile(join(dir, 'tree/sub/b'), 'b\n');
      const id = ok(await cli(name, ['run', '-d', 'busybox', 'sleep', '60']), 'run -d').stdout.trim();
      ok(await cli(name, ['cp', join(dir, 'local'), `${id}:/tmp/copied`]), 'cp file in');
      ok(await cli(name, ['cp', join(dir, 'tree'), `${id}:/tmp/`]), 'cp dir in');
      ok(await cli(name, ['cp', `${join(dir, 'tree')}/.`, `${id}:/tmp/contents`]), 'cp dir/. in');
      const inside = ok(await cli(name, ['exec', id, 'sh', '-c', 'cat /tmp/copied; cd /tmp; find tree contents | sort']), 'exec').stdout;
      assert.equal(inside, 'local file\ncontents\ncontents/a\ncontents/sub\ncontents/sub/b\ntree\ntree/a\ntree/sub\ntree/sub/b\n');

      ok(await cli(name, ['cp', `${id}:/tmp/copied`, join(dir, 'out-file')]), 'cp file out');
      assert.equal(await readFile(join(dir, 'out-file'), 'utf8'), 'local file\n');
      ok(await cli(name, ['cp', `${id}:/tmp/tree`, join(dir, 'out-dir')]), 'cp dir out');
      assert.deepEqual((await readdir(join(dir, 'out-dir'), { recursive: true })).sort(), ['a', 'sub', 'sub/b']);
      await mkdir(join(dir, 'out-contents'));
      ok(await cli(name, ['cp', `${id}:/tmp/tree/.`, join(dir, 'out-contents')]), 'cp dir/. out');
      assert.deepEqual((await readdir(join(dir, 'out-contents'), { recursive: true })).sort(), ['a', 'sub', 'sub/b']);
      assert.equal(await readFile(join(dir, 'out-contents/sub/b'), 'utf8'), 'b\n');

      const tar = ok(await sh(`${shellCli(name)} cp ${id}:/tmp/tree - | tar -t`), 'cp to -').stdout;
      assert.deepEqual(tar.split('\n').filter(Boolean).sort(), ['tree/', 'tree/a', 'tree/sub/', 'tree/sub/b']);
      ok(await sh(`cd ${shellQuote(dir)} && tar -c local | ${shellCli(name)} cp - ${id}:/tmp/`), 'cp from -');
      assert.equal(ok(await cli(name, ['exec', id, 'cat', '/tmp/local']), 'exec').stdout, 'local file\n');
      const missing = await cli(name, ['cp', `${id}:/no/such`, dir]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Could not find the file \/no\/such in container/);
      // A stopped container is copied to and from through its root filesystem.
      ok(await cli(name, ['stop', '-t', '0', id]), 'stop');
      ok(await cli(name, ['cp', join(dir, 'local'), `${id}:/tmp/while-stopped`]), 'cp into a stopped container');
      ok(await cli(name, ['cp', `${id}:/tmp/while-stopped`, join(dir, 'from-stopped')]), 'cp out of a stopped container');
      assert.equal(await readFile(join(dir, 'from-stopped'), 'utf8'), 'local file\n');
      ok(await cli(name, ['start', id]), 'start');
      assert.equal(ok(await cli(name, ['exec', id, 'cat', '/tmp/while-stopped']), 'exec').stdout, 'local file\n');
      ok(await cli(name, ['rm', '-f', id]), 'rm -f');
    });

    test(`${name}: cp never follows a container's symlinks out of it`, async () => {
      const unique = `berth-escape-${randomBytes(6).toString('hex')}`;
      const hostTmp = join('/tmp', unique);
      const local = join(work, `escape-${name}`);
      await writeFile(local, 'stays inside\n');
      const id = ok(await cli(name, ['run', '-d', '--hostname', 'inside', 'busybox', 'sh', '-c', 'ln -s / /evil; ln -s ../../../../ /up; sleep 60']), 'run -d').stdout.trim();
      await until(async () => ((await cli(name, ['exec', id, 'test', '-L', '/up'])).code === 0 ? true : undefined), 'the /up link');
      ok(await cli(name, ['cp', local, `${id}:/evil/tmp/${unique}`]), 'cp via /evil');
      ok(await cli(name, ['cp', local, `${id}:/up/tmp/${unique}-up`]), 'cp via /up');
      assert.equal(existsSync(hostTmp), false, 'nothing was written to the host /tmp');
      assert.equal(existsSync(`${hostTmp}-up`), false, 'nothing was written to the host /tmp');
      assert.equal(ok(await cli(name, ['exec', id, 'cat', `/tmp/${unique}`, `/tmp/${unique}-up`]), 'exec').stdout, 'stays inside\nstays inside\n');
      // Reading through the links gives the container's files: its /etc/hostname is its own mount.
      ok(await cli(name, ['cp', `${id}:/evil/etc/hostname`, join(work, `hostname-${name}`)]), 'cp out via /evil');
      assert.equal(await readFile(join(work, `hostname-${name}`), 'utf8'), 'inside\n');
      ok(await cli(name, ['cp', `${id}:/up/etc/hostname`, join(work, `hostname-up-${name}`)]), 'cp out via /up');
      assert.equal(await readFile(join(work, `hostname-up-${name}`), 'utf8'), 'inside\n');
      ok(await cli(name, ['rm', '-f', id]), 'rm -f');
    });

    test(`${name}: export | import round trip`, async () => {
      const ctr = `export-${name}`;
      ok(await cli(name, ['run', '--name', ctr, 'busybox', 'sh', '-c', 'mkdir -p /the && echo exported > /the/file']), 'run');
      const imported = `img2-${name}`;
      ok(await sh(`${shellCli(name)} export ${ctr} | ${shellCli(name)} import - ${imported}`), 'export | import');
      assert.equal(ok(await cli(name, ['run', '--rm', imported, 'cat', '/the/file']), 'run imported').stdout, 'exported\n');
      // export -o and import of a file, with a CMD.
      const file = join(work, `export-${name}.tar`);
      ok(await cli(name, ['export', '-o', file, ctr]), 'export -o');
      ok(await cli(name, ['import', '-c', 'CMD ["cat", "/the/file"]', file, `${imported}:cmd`]), 'import file');
      assert.equal(ok(await cli(name, ['run', '--rm', `${imported}:cmd`]), 'run imported CMD').stdout, 'exported\n');
    });
  }
});
