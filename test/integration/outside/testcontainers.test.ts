import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { startOutsideTarget, type OutsideTarget } from '../../helpers/outside-tools.js';

/**
 * testcontainers (npm, 11.x), the library Node test suites start containers with, against
 * berthd as it is used against Docker: no settings but DOCKER_HOST, and its reaper (Ryuk) off
 * because no registry is reachable here. The test tracks and stops what it starts itself.
 */

type Tc = typeof import('testcontainers');
interface Stoppable {
  stop(): Promise<unknown>;
}

// busybox's httpd serving /www on 8080, after a line the logs tests look for; exits on SIGTERM.
const HTTPD = ['sh', '-c', "trap 'exit 0' TERM; echo \"started $(date +%s%N)\"; mkdir -p /www && echo hello > /www/index.html && httpd -f -p 8080 -h /www & wait"];

let t: OutsideTarget;
let tc: Tc;
const started: Stoppable[] = [];

before(async () => {
  t = await startOutsideTarget();
  // testcontainers reads its configuration from the environment when first used.
  Object.assign(process.env, t.env({ TESTCONTAINERS_RYUK_DISABLED: 'true' }));
  tc = await import('testcontainers');
});
after(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  await t?.stop();
});

async function get(host: string, port: number, path = '/'): Promise<string> {
  return (await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(3000) })).text();
}

async function readAll(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

/** Reads the log stream until `pattern` shows up (the stream follows, so it never ends). */
async function logsUntil(stream: Readable, pattern: RegExp, ms = 10_000): Promise<string> {
  let text = '';
  const timer = setTimeout(() => stream.destroy(new Error(`no ${pattern} in the logs within ${ms} ms; got: ${text}`)), ms);
  try {
    for await (const c of stream) {
      text += String(c);
      if (pattern.test(text)) return text;
    }
    throw new Error(`the logs ended without ${pattern}; got: ${text}`);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
}

describe('testcontainers drives berthd', () => {
  test('GenericContainer: exposed port with the default wait, exec, copy in and out, logs, restart', async () => {
    const c = await new tc.GenericContainer('busybox').withCommand(HTTPD).withExposedPorts(8080).withStartupTimeout(30_000).start();
    started.push(c);
    const host = c.getHost();
    assert.equal(await get(host, c.getMappedPort(8080)), 'hello\n');

    const exec = await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(exec.exitCode, 3);
    assert.equal(exec.stdout, 'out\n');
    assert.equal(exec.stderr, 'err\n');

    await c.copyContentToContainer([{ content: 'copied in\n', target: '/www/copied.txt', mode: 0o644 }]);
    assert.equal(await get(host, c.getMappedPort(8080), '/copied.txt'), 'copied in\n');

    const entries = new Map<string, string>();
    const extract = tarExtract();
    extract.on('entry', (header, body, next) => {
      readAll(body).then((text) => {
        entries.set(header.name, text);
        next();
      }, next);
    });
    const done = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    (await c.copyArchiveFromContainer('/www/copied.txt')).pipe(extract);
    await done;
    assert.deepEqual([...entries], [['copied.txt', 'copied in\n']]);

    const firstStart = await logsUntil(await c.logs(), /started \d+/);
    await c.restart({ timeout: 5 });
    // The container runs its command again (a second "started" line) and serves again, on the
    // port testcontainers reads anew; the file copied in is still there.
    const afterRestart = await logsUntil(await c.logs(), /started \d+[\s\S]*started \d+/);
    assert.ok(afterRestart.startsWith(firstStart.trim()), `logs after restart: ${afterRestart}`);
    assert.equal(await get(host, c.getMappedPort(8080), '/copied.txt'), 'copied in\n');

    const id = c.getId();
    await c.stop();
    started.splice(started.indexOf(c), 1);
    const left = await t.docker(['ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`]);
    assert.equal(left.stdout.trim(), '', 'stop() removes the container');
  });

  test('Network with aliases: one container reaches another by its alias', async () => {
    const network = await new tc.Network().start();
    started.push(network);
    const server = await new tc.GenericContainer('busybox').withCommand(HTTPD).withNetwork(network).withNetworkAliases('backend-svc').withStartupTimeout(30_000).start();
    started.push(server);
    const client = await new tc.GenericContainer('busybox')
      .withCommand(['sh', '-c', "trap 'exit 0' TERM; while :; do echo \"got $(wget -q -O - http://backend-svc:8080/)\"; sleep 1 & wait; done"])
      .withNetwork(network)
      .withWaitStrategy(tc.Wait.forLogMessage(/got hello/))
      .withStartupTimeout(30_000)
      .start();
    started.push(client);
    assert.deepEqual(client.getNetworkNames(), [network.getName()]);
    const byExec = await client.exec(['wget', '-q', '-O', '-', 'http://backend-svc:8080/']);
    assert.equal(byExec.stdout, 'hello\n');
    for (const s of [client, server, network]) {
      await s.stop();
      started.splice(started.indexOf(s), 1);
    }
    const networks = await t.docker(['network', 'ls', '-q', '--filter', `name=${network.getName()}`]);
    assert.equal(networks.stdout.trim(), '', 'the network is removed');
  });

  test('DockerComposeEnvironment: up a small project, reach its services, down', async () => {
    const dir = join(t.scratch, 'tc-compose');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'compose.yaml'), `services:
  web:
    image: busybox
    command: ${JSON.stringify(HTTPD)}
    ports:
      - "8080"
  probe:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do echo \\"probe got $(wget -q -O - http://web:8080/)\\"; sleep 1 & wait; done"]
`);
    const env = await new tc.DockerComposeEnvironment(dir, 'compose.yaml')
      .withWaitStrategy('probe-1', tc.Wait.forLogMessage(/probe got hello/))
      .withStartupTimeout(30_000)
      .up();
    const project = env.getContainer('web-1').getLabels()['com.docker.compose.project'];
    try {
      const web = env.getContainer('web-1');
      assert.equal(await get(web.getHost(), web.getMappedPort(8080)), 'hello\n');
      const exec = await env.getContainer('probe-1').exec(['wget', '-q', '-O', '-', 'http://web:8080/']);
      assert.equal(exec.stdout, 'hello\n');
    } finally {
      await env.down({ timeout: 1 });
    }
    assert.ok(project);
    const left = await t.docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
    assert.equal(left.stdout.trim(), '', 'down removes the containers');
    const nets = await t.docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
    assert.equal(nets.stdout.trim(), '', 'down removes the network');
  });
});
