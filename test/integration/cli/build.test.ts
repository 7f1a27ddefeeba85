import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';
import { strayMountsUnder } from '../../helpers/mounts.js';

const TUTORIAL = `FROM busybox
MAINTAINER Jane Doe <jane@example.com>
RUN mkdir -p /var/www && echo built > /var/www/marker
ADD dir/ /usr/local/dir
ADD run.sh /run.sh
ENV APP_HOME=/usr/local/dir GREETING="hello world"
EXPOSE 8080
CMD ["/run.sh"]
`;

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  }
}

/** Dockerfile builds through POST /build, driven by the real docker CLI (legacy builder) and by berth build. */
describe('build', () => {
  let d: TestDaemon;
  let work: string;
  let n = 0;
  const ctxDir = async (files: Record<string, string>): Promise<string> => {
    const dir = join(work, `ctx${++n}`);
    await write(dir, files);
    return dir;
  };

  before(async () => {
    d = await TestDaemon.start();
    work = await mkdtemp(join(tmpdir(), 'berth-build-ctx-'));
    ok(await d.berth(['image', 'bootstrap', 'busybox']), 'bootstrap');
  });
  after(async () => {
    await d?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const tutorialFiles = { Dockerfile: TUTORIAL, 'dir/a.txt': 'A\n', 'dir/sub/b.txt': 'B\n', 'run.sh': '#!/bin/sh\necho "$GREETING from $APP_HOME"\n' };

  test('the old tutorial Dockerfile builds with docker build, as Docker puts it in the image', async () => {
    const dir = await ctxDir(tutorialFiles);
    const r = ok(await d.docker(['build', '-t', 'tutorial:docker', dir]), 'docker build');
    assert.match(r.stdout, /Step 1\/8 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    assert.match(r.stdout, /Step 3\/8 : RUN mkdir -p \/var\/www && echo built > \/var\/www\/marker\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged tutorial:docker\n/);
    const cfg = JSON.parse(ok(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'tutorial:docker']), 'inspect').stdout);
    assert.deepEqual(cfg.Cmd, ['/run.sh']);
    assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(cfg.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP_HOME=/usr/local/dir', 'GREETING=hello world']);
    const author = ok(await d.docker(['image', 'inspect', '--format', '{{.Author}}', 'tutorial:docker']), 'inspect').stdout.trim();
    assert.equal(author, 'Jane Doe <jane@example.com>');
    assert.equal(ok(await d.docker(['run', '--rm', 'tutorial:docker']), 'run').stdout, 'hello world from /usr/local/dir\n');
    // The ADD-a-directory pitfall: the directory's contents land in the target, not the directory itself.
    const files = ok(await d.docker(['run', '--rm', 'tutorial:docker', 'find', '/usr/local/dir', '/var/www/marker']), 'find').stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(files, ['/usr/local/dir', '/usr/local/dir/a.txt', '/usr/local/dir/sub', '/usr/local/dir/sub/b.txt', '/var/www/marker']);
    const history = ok(await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'tutorial:docker']), 'history').stdout.split('\n');
    assert.equal(history[0], '/bin/sh -c #(nop)  CMD ["/run.sh"]');
    assert.equal(history[1], '/bin/sh -c #(nop)  EXPOSE 8080');
    assert.match(history[4] as string, /^\/bin\/sh -c #\(nop\) ADD dir:[0-9a-f]{64} in \/usr\/local\/dir $/);
    assert.equal(history[5], '/bin/sh -c mkdir -p /var/www && echo built > /var/www/marker');
    assert.equal(ok(await d.docker(['ps', '-aq']), 'ps').stdout, '', 'no intermediate container is left');
  });

  test('berth build builds the same Dockerfile; ADD of a directory without a trailing slash copies its contents too', async () => {
    const dir = await ctxDir({ ...tutorialFiles, Dockerfile: TUTORIAL + 'ADD dir /opt/\nADD dir/a.txt /opt/file\nADD dir/a.txt /opt/into/\n' });
    const r = ok(await d.berth(['build', '-t', 'tutorial:berth', '-t', 'tutorial:second', dir]), 'berth build');
    assert.match(r.stdout, /Step 11\/11 : ADD dir\/a.txt \/opt\/into\//);
    assert.match(r.stdout, /Successfully tagged tutorial:berth\nSuccessfully tagged tutorial:second\n/);
    const found = ok(await d.berth(['run', '--rm', 'tutorial:second', 'find', '/opt']), 'find').stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(found, ['/opt', '/opt/a.txt', '/opt/file', '/opt/into', '/opt/into/a.txt', '/opt/sub', '/opt/sub/b.txt']);
    const owner = ok(await d.berth(['run', '--rm', 'tutorial:berth', 'stat', '-c', '%u:%g %a', '/run.sh']), 'stat').stdout;
    assert.equal(owner, '0:0 755\n');
  });

  test('a multi-stage build copies an artifact between stages; --target stops at a stage', async () => {
    const dir = await ctxDir({
      Dockerfile: `ARG BASE=busybox
FROM --platform=$BUILDPLATFORM \${BASE} AS builder
ARG VERSION=1.0
ARG TARGETARCH
RUN mkdir /out && echo "artifact $VERSION" > /out/app.txt && echo $TARGETARCH > /out/arch
FROM builder AS tester
RUN echo tested > /out/tested
FROM busybox
COPY --from=builder /out/app.txt /app/
COPY --from=0 /out /copied
CMD ["cat", "/app/app.txt"]
`,
    });
    const r = ok(await d.docker(['build', '--build-arg', 'VERSION=2.5', '-t', 'multi', dir]), 'build');
    assert.match(r.stdout, /Step 1\/11 : ARG BASE=busybox\nStep 2\/11 : FROM --platform=\$BUILDPLATFORM \$\{BASE\} AS builder/);
    assert.equal(ok(await d.docker(['run', '--rm', 'multi']), 'run').stdout, 'artifact 2.5\n');
    const copied = ok(await d.docker(['run', '--rm', 'multi', 'ls', '/copied']), 'ls').stdout;
    assert.equal(copied, 'app.txt\narch\n');
    assert.equal(ok(await d.docker(['run', '--rm', 'multi', 'cat', '/copied/arch']), 'arch').stdout, `${process.arch === 'x64' ? 'amd64' : process.arch}\n`);
    const t = ok(await d.docker(['build', '--target', 'builder', '-q', dir]), 'target build');
    const id = t.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const cat = ok(await d.docker(['run', '--rm', id, 'cat', '/out/app.txt']), 'run target').stdout;
    assert.equal(cat, 'artifact 1.0\n');
    const tested = await d.docker(['run', '--rm', id, 'ls', '/out/tested']);
    assert.notEqual(tested.code, 0, 'the stage after the target did not run');
    const missing = await d.docker(['build', '--target', 'nosuch', dir]);
    assert.match(missing.stderr, /failed to reach build target nosuch in Dockerfile/);
  });

  test('a rebuild with no change is fully cached; changing one COPY\'d file rebuilds from that step only', async () => {
    const dir = await ctxDir({
      Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\nRUN cat /a.txt /b.txt > /both\nENV X=1\n',
      'a.txt': 'a\n',
      'b.txt': 'b\n',
    });
    ok(await d.docker(['build', '-t', 'cached', dir]), 'cold build');
    const again = ok(await d.docker(['build', '-t', 'cached', dir]), 'cached build');
    assert.equal(again.stdout.match(/ ---> Using cache/g)?.length, 5, again.stdout);
    assert.doesNotMatch(again.stdout, /Running in/);
    await writeFile(join(dir, 'b.txt'), 'b changed\n');
    const changed = ok(await d.docker(['build', '-t', 'cached', dir]), 'rebuild');
    const steps = changed.stdout.split(/^Step /m).slice(1);
    assert.deepEqual(steps.map((s) => s.includes('Using cache')), [false, true, true, false, false, false]);
    assert.equal(ok(await d.docker(['run', '--rm', 'cached', 'cat', '/both']), 'run').stdout, 'a\nb changed\n');
    const nocache = ok(await d.berth(['build', '--no-cache', dir]), 'no-cache');
    assert.doesNotMatch(nocache.stdout, /Using cache/);
    // --cache-from: only the named images (and what they were built from) serve as cache.
    const fromOther = ok(await d.docker(['build', '--cache-from', 'busybox', dir]), 'cache-from busybox');
    assert.doesNotMatch(fromOther.stdout, /Using cache/);
    const fromCached = ok(await d.docker(['build', '--cache-from', 'cached', dir]), 'cache-from cached');
    assert.equal(fromCached.stdout.match(/ ---> Using cache/g)?.length, 5);
  });

  test('the cache goes by content: a file rewritten with the same size and mtime misses it, as do a changed mode and instruction; a cached rebuild still tags', async () => {
    const dir = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nCOPY d /d\nRUN cat /a.txt /d/sub/b.txt > /both\n', 'a.txt': 'aaaa\n', 'd/sub/b.txt': 'bbbb\n' });
    const usingCache = (out: string): boolean[] => out.split(/^Step /m).slice(1).map((s) => s.includes(' ---> Using cache'));
    // Whole seconds, which utimes sets exactly: rewritten files get these times back.
    const when = 1_700_000_000;
    for (const name of ['a.txt', 'd/sub/b.txt']) await utimes(join(dir, name), when, when);
    /** Rewrites a file with content of the same size and puts its times back: only the content tells. */
    const sameStat = async (name: string, content: string): Promise<void> => {
      const before = await stat(join(dir, name));
      await writeFile(join(dir, name), content);
      await utimes(join(dir, name), when, when);
      const after = await stat(join(dir, name));
      assert.equal(after.size, before.size);
      assert.equal(after.mtimeMs, before.mtimeMs);
    };
    ok(await d.docker(['build', '-t', 'hashed', dir]), 'cold build');
    const tagged = async (): Promise<string> => ok(await d.docker(['image', 'inspect', '-f', '{{.Metadata.LastTagTime}}', 'hashed']), 'inspect').stdout.trim();
    const firstTag = await tagged();
    const again = ok(await d.docker(['build', '-t', 'hashed', dir]), 'cached build');
    assert.deepEqual(usingCache(again.stdout), [false, true, true, true], again.stdout);
    assert.match(again.stdout, /^Successfully built [0-9a-f]{12}$/m);
    assert.match(again.stdout, /^Successfully tagged hashed:latest$/m);
    // As dockerd: tagging again (the same image) refreshes LastTagTime.
    assert.notEqual(await tagged(), firstTag);
    await sameStat('d/sub/b.txt', 'BBBB\n');
    assert.deepEqual(usingCache(ok(await d.docker(['build', '-t', 'hashed', dir]), 'b changed').stdout), [false, true, false, false]);
    await sameStat('a.txt', 'AAAA\n');
    assert.deepEqual(usingCache(ok(await d.docker(['build', '-t', 'hashed', dir]), 'a changed').stdout), [false, false, false, false]);
    assert.equal(ok(await d.docker(['run', '--rm', 'hashed', 'cat', '/both']), 'run').stdout, 'AAAA\nBBBB\n');
    await chmod(join(dir, 'a.txt'), 0o600);
    assert.deepEqual(usingCache(ok(await d.docker(['build', '-t', 'hashed', dir]), 'a chmod').stdout), [false, false, false, false]);
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY a.txt /a.txt\nCOPY d /d\nRUN cat /d/sub/b.txt /a.txt > /both\n');
    assert.deepEqual(usingCache(ok(await d.docker(['build', '-t', 'hashed', dir]), 'RUN changed').stdout), [false, true, true, false]);
    assert.equal(ok(await d.docker(['run', '--rm', 'hashed', 'cat', '/both']), 'run').stdout, 'BBBB\nAAAA\n');
  });

  test('a context too big to keep (over 8 MiB) and one with a symlink unpack the general way, and cache as well', async () => {
    const big = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY big.bin /big.bin\nRUN wc -c < /big.bin > /size\n' });
    await writeFile(join(big, 'big.bin'), Buffer.alloc(9 << 20, 7));
    ok(await d.docker(['build', '-t', 'bigctx', big]), 'cold build');
    assert.equal(ok(await d.docker(['build', '-t', 'bigctx', big]), 'cached').stdout.match(/ ---> Using cache/g)?.length, 2);
    assert.equal(ok(await d.docker(['run', '--rm', 'bigctx', 'cat', '/size']), 'run').stdout.trim(), String(9 << 20));
    const linked = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY . /ctx\n', 'a.txt': 'a\n' });
    await symlink('a.txt', join(linked, 'link'));
    ok(await d.docker(['build', '-t', 'linkctx', linked]), 'cold build');
    assert.equal(ok(await d.docker(['build', '-t', 'linkctx', linked]), 'cached').stdout.match(/ ---> Using cache/g)?.length, 1);
    await writeFile(join(linked, 'a.txt'), 'b\n');
    assert.doesNotMatch(ok(await d.docker(['build', '-t', 'linkctx', linked]), 'changed').stdout, /Using cache/);
    assert.equal(ok(await d.docker(['run', '--rm', 'linkctx', 'cat', '/ctx/link']), 'run').stdout, 'b\n');
  });

  test('ARG and ENV substitution, .dockerignore, -f outside the context, -f -, --label, --iidfile', async () => {
    const dir = await ctxDir({
      'build/Dockerfile.custom': `FROM busybox
ARG NAME=default
ARG EMPTY=
ENV GREET=hi-\${NAME} ALT=\${EMPTY:-fallback} PLUS=\${NAME:+set} ESC=\\$NAME
WORKDIR /data
WORKDIR sub
COPY . ./
LABEL "com.example.name"="$NAME" plain=yes
USER 1000:1000
STOPSIGNAL SIGINT
VOLUME ["/vol"]
HEALTHCHECK --interval=30s --retries=3 CMD ["true"]
ENTRYPOINT ["/bin/sh", "-c"]
`,
      'keep.txt': 'keep',
      'secret.key': 'no',
      'logs/x.log': 'no',
      'logs/important.log': 'yes',
      '.dockerignore': '# comment\n*.key\nlogs\n!logs/important.log\nbuild\n',
    });
    const iid = join(work, 'iid');
    const r = ok(await d.docker(['build', '-f', join(dir, 'build/Dockerfile.custom'), '--build-arg', 'NAME=berth', '--build-arg', 'UNUSED=1', '--label', 'extra=lbl', '--label', 'spaced=a $b "c"', '--iidfile', iid, '-t', 'subst', dir]), 'build');
    assert.match(r.stdout, /Step 14\/14 : LABEL extra=lbl spaced=a \$b "c"\n/);
    assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
    const id = (await readFile(iid, 'utf8')).trim();
    const cfg = JSON.parse(ok(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', id]), 'inspect').stdout);
    assert.deepEqual(cfg.Env.slice(1), ['GREET=hi-berth', 'ALT=fallback', 'PLUS=set', 'ESC=$NAME']);
    assert.equal(cfg.WorkingDir, '/data/sub');
    assert.deepEqual(cfg.Labels, { 'com.example.name': 'berth', plain: 'yes', extra: 'lbl', spaced: 'a $b "c"' });
    assert.equal(cfg.User, '1000:1000');
    assert.equal(cfg.StopSignal, 'SIGINT');
    assert.deepEqual(cfg.Volumes, { '/vol': {} });
    assert.deepEqual(cfg.Healthcheck, { Test: ['CMD', 'true'], Interval: 30e9, Retries: 3 });
    assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c']);
    assert.equal(cfg.Cmd, undefined);
    const ls = ok(await d.docker(['run', '--rm', '--entrypoint', 'find', 'subst', '/data/sub']), 'find').stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(ls, ['/data/sub', '/data/sub/.dockerignore', '/data/sub/keep.txt', '/data/sub/logs', '/data/sub/logs/important.log']);
    const stdin = ok(await d.berth(['build', '-q', '-f', '-', dir], { input: 'FROM busybox\nRUN echo from-stdin > /s\n' }), 'berth -f -');
    assert.match(stdin.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  test('a tarball context on stdin; a Dockerfile on stdin (-f -)', async () => {
    const dir = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY hello.txt /\nCMD ["cat", "/hello.txt"]\n', 'hello.txt': 'from a tarball\n' });
    const tar = spawnSync('tar', ['-C', dir, '-czf', '-', '.']).stdout;
    const pulled = ok(await d.docker(['build', '--pull', '-t', 'tarball', '-'], { input: tar }), 'docker build -');
    assert.match(pulled.stdout, /\[Warning\] --pull: pulling from registries is not supported by this Berth version yet; using the local busybox/);
    assert.equal(ok(await d.docker(['run', '--rm', 'tarball']), 'run').stdout, 'from a tarball\n');
    ok(await d.berth(['build', '-t', 'tarball-berth', '-'], { input: tar }), 'berth build -');
    assert.equal(ok(await d.berth(['run', '--rm', 'tarball-berth']), 'run').stdout, 'from a tarball\n');
    const viaStdin = ok(await d.docker(['build', '-q', '-f', '-', dir], { input: 'FROM busybox\nCOPY hello.txt /greeting\n' }), 'docker -f -');
    const id = viaStdin.stdout.trim();
    assert.equal(ok(await d.docker(['run', '--rm', id, 'cat', '/greeting']), 'run').stdout, 'from a tarball\n');
  });

  test('ADD unpacks local tar archives and fetches URLs (--checksum); URL contexts; COPY --chown, wildcards; ARG scope; ONBUILD; SHELL and USER reach RUN', async () => {
    const served = 'served over loopback\n';
    const remoteDir = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY payload /from-remote\n', payload: 'remote context\n' });
    const remoteTar = spawnSync('tar', ['-C', remoteDir, '-czf', '-', '.']).stdout;
    const server: Server = createServer((req, res) => {
      if (req.url === '/context.tar.gz') return void res.end(remoteTar);
      if (req.url === '/Dockerfile') return void res.end('FROM busybox\nCMD ["echo", "dockerfile only"]\n');
      res.writeHead(req.url === '/file.txt' ? 200 : 404, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end(req.url === '/file.txt' ? served : 'no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt`;
      const sum = createHash('sha256').update(served).digest('hex');
      const dir = await ctxDir({
        Dockerfile: `ARG OUTER=outer-value
FROM busybox
ARG OUTER
ARG LATE
ENV LATE=from-env
ARG LATE=from-arg
ADD archive.tar.gz /unpacked/
ADD --checksum=sha256:${sum} ${url} /downloads/
COPY --chown=1000:1001 src/*.txt /texts/
SHELL ["/bin/sh", "-xc"]
RUN echo "outer=$OUTER late=$LATE" > /args
USER 1000
RUN id -u > /tmp/uid
ONBUILD RUN echo triggered > /tmp/onbuild
`,
        'src/one.txt': '1',
        'src/two.txt': '2',
        'src/skip.md': 'no',
      });
      const payload = join(work, 'payload');
      await write(payload, { 'inner/file.txt': 'inside the archive\n' });
      spawnSync('tar', ['-C', payload, '-czf', join(dir, 'archive.tar.gz'), 'inner']);
      const r = ok(await d.docker(['build', '-t', 'features', dir]), 'build');
      assert.match(r.stdout, /\+ echo 'outer=outer-value late=from-env'/);
      const show = (cmd: string): Promise<string> => d.docker(['run', '--rm', '-u', '0', 'features', 'sh', '-c', cmd]).then((x) => ok(x, cmd).stdout);
      assert.equal(await show('cat /unpacked/inner/file.txt'), 'inside the archive\n');
      assert.equal(await show('cat /downloads/file.txt; stat -c %a:%Y /downloads/file.txt'), `${served}600:1445412480\n`);
      assert.equal(await show('stat -c "%n %u:%g" /texts/* | sort'), '/texts/one.txt 1000:1001\n/texts/two.txt 1000:1001\n');
      assert.equal(await show('cat /args /tmp/uid'), 'outer=outer-value late=from-env\n1000\n');
      const child = await ctxDir({ Dockerfile: 'FROM features\nRUN cat /tmp/onbuild\n' });
      const c = ok(await d.docker(['build', child]), 'onbuild child');
      assert.match(c.stdout, /# Executing 1 build trigger\n/);
      assert.match(c.stdout, /triggered\n/);
      // A URL context: a tarball is the context, any other file the Dockerfile.
      const remote = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      ok(await d.docker(['build', '-t', 'remote-tar', `${remote}/context.tar.gz`]), 'docker build URL (tarball)');
      assert.equal(ok(await d.docker(['run', '--rm', 'remote-tar', 'cat', '/from-remote']), 'run').stdout, 'remote context\n');
      ok(await d.berth(['build', '-t', 'remote-df', `${remote}/Dockerfile`]), 'berth build URL (Dockerfile)');
      assert.equal(ok(await d.berth(['run', '--rm', 'remote-df']), 'run').stdout, 'dockerfile only\n');
      const bad = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${'0'.repeat(64)} ${url} /x\n` });
      const mismatch = await d.docker(['build', bad]);
      assert.notEqual(mismatch.code, 0);
      assert.match(mismatch.stderr, /digest mismatch sha256:0{64}: sha256:[0-9a-f]{64}/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('RUN --mount: a cache mount persists between builds, a bind mount reads the context, a tmpfs mount is scratch space; builder prune', async () => {
    const first = await ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/cache echo kept > /cache/file\n' });
    ok(await d.docker(['build', first]), 'first build');
    const dir = await ctxDir({
      Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/cache cp /cache/file /from-cache\nRUN --mount=type=bind,source=data,target=/mnt cat /mnt/in.txt > /from-bind\nRUN --mount=type=tmpfs,target=/scratch grep -q " /scratch tmpfs" /proc/mounts && touch /scratch/x\n',
      'data/in.txt': 'bound\n',
    });
    ok(await d.docker(['build', '-t', 'mounts', dir]), 'build');
    assert.equal(ok(await d.docker(['run', '--rm', 'mounts', 'cat', '/from-cache', '/from-bind']), 'run').stdout, 'kept\nbound\n');
    // docker builder prune: the step cache is forgotten and the cache mounts emptied.
    const pruned = ok(await d.docker(['builder', 'prune', '-f']), 'builder prune');
    assert.match(pruned.stdout, /Total reclaimed space: \d/);
    const rebuilt = ok(await d.docker(['build', first]), 'rebuild after prune');
    assert.doesNotMatch(rebuilt.stdout, /Using cache/);
    const secret = await d.docker(['build', await ctxDir({ Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=x cat /run/secrets/x\n' })]);
    assert.match(secret.stderr, /RUN --mount=type=secret is not supported by this Berth version yet/);
  });

  test('rmi of a built image removes its untagged intermediate images, as docker does', async () => {
    const count = async (): Promise<number> => ok(await d.docker(['images', '-aq', '--no-trunc']), 'images').stdout.split('\n').filter(Boolean).length;
    const before = await count();
    ok(await d.docker(['build', '-t', 'short-lived', await ctxDir({ Dockerfile: 'FROM busybox\nENV ONLY=here-once\nLABEL short=lived\n' })]), 'build');
    assert.equal(await count(), before + 2);
    const r = ok(await d.docker(['rmi', 'short-lived']), 'rmi');
    assert.match(r.stdout, /^Untagged: short-lived:latest\nDeleted: sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\n$/);
    assert.equal(await count(), before);
  });

  test('a build whose client goes away stops: the running RUN is killed and its container removed', async () => {
    const dir = await ctxDir({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\nRUN echo never\n' });
    const child = spawn('/usr/local/bin/docker', ['build', dir], { env: d.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    try {
      await until(async () => (output.includes('started') ? true : undefined), 'the RUN to start', 20_000);
    } finally {
      child.kill('SIGKILL');
    }
    await until(async () => (ok(await d.docker(['ps', '-aq']), 'ps').stdout === '' ? true : undefined), 'the intermediate container to go', 20_000);
    assert.doesNotMatch(output, /never/);
  });

  test('bad input gets docker\'s errors and leaves no container or mount behind', async () => {
    const unknown = await d.docker(['build', await ctxDir({ Dockerfile: 'FROM busybox\n\nRUNN echo hi\n' })]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Error response from daemon: dockerfile parse error line 3: unknown instruction: RUNN$/m);
    const badEnv = await d.docker(['build', await ctxDir({ Dockerfile: 'FROM busybox\nENV A\n' })]);
    assert.match(badEnv.stderr, /Error response from daemon: failed to parse Dockerfile: ENV must have two arguments/);
    const noFrom = await d.docker(['build', await ctxDir({ Dockerfile: 'RUN echo hi\n' })]);
    assert.match(noFrom.stderr, /no build stage in current context/);
    const outside = await d.docker(['build', await ctxDir({ Dockerfile: 'FROM busybox\nCOPY ../x /x\n' })]);
    assert.match(outside.stdout + outside.stderr, /COPY failed: forbidden path outside the build context: \.\.\/x \(\)/);
    const linkDir = await ctxDir({ Dockerfile: 'FROM busybox\nCOPY link /x\n' });
    await writeFile(join(work, 'outside-secret'), 'secret');
    await symlink('../outside-secret', join(linkDir, 'link'));
    const link = await d.docker(['build', linkDir]);
    assert.notEqual(link.code, 0);
    assert.match(link.stdout + link.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat link: file does not exist/);
    const failing = await d.docker(['build', '--force-rm', await ctxDir({ Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 3\nRUN echo never\n' })]);
    assert.equal(failing.code, 3);
    assert.match(failing.stdout, /about to fail\n/);
    assert.doesNotMatch(failing.stdout, /Step 3\/3/);
    assert.match(failing.stderr, /The command '\/bin\/sh -c echo about to fail && exit 3' returned a non-zero code: 3/);
    const berthFail = await d.berth(['build', await ctxDir({ Dockerfile: 'FROM busybox\nRUN exit 5\n' })]);
    assert.equal(berthFail.code, 5);
    assert.match(berthFail.stderr, /returned a non-zero code: 5/);
    // Without --force-rm docker keeps the failed step's container, stopped, for inspection.
    const left = ok(await d.docker(['ps', '-aq']), 'ps').stdout.split('\n').filter(Boolean);
    assert.equal(left.length, 1);
    ok(await d.docker(['rm', ...left]), 'rm');
    const badArg = await d.docker(['build', '--build-arg', '=x', await ctxDir({ Dockerfile: 'FROM busybox\n' })]);
    assert.notEqual(badArg.code, 0);
    const badArgBerth = await d.berth(['build', '--build-arg', '=x', await ctxDir({ Dockerfile: 'FROM busybox\n' })]);
    assert.match(badArgBerth.stderr, /invalid argument "=x" for "--build-arg" flag/);
    assert.equal(ok(await d.docker(['ps', '-aq']), 'ps').stdout, '');
    const mounts = (await strayMountsUnder(d.root)).filter((m) => !m.includes('/volumes/'));
    assert.deepEqual(mounts, []);
  });
});
