import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTHD_JS, NODE, TestDaemon, run } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

/** Sends raw bytes on the daemon's socket and returns what came back (status line first). */
function raw(socket: string, data: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    const parts: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(parts).toString('latin1'));
    };
    const timer = setTimeout(done, timeoutMs);
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('close', done);
    s.on('error', done);
    s.write(data);
  });
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const PATHS = [
  '/_ping', '/info', '/version', '/events', '/system/df', '/containers/json', '/containers/create', '/containers/nope/json', '/containers/nope/start',
  '/containers/nope/stop', '/containers/nope/kill', '/containers/nope/logs', '/containers/nope/update', '/containers/nope/wait', '/containers/nope/attach',
  '/containers/nope/exec', '/exec/nope/start', '/exec/nope/json', '/images/json', '/images/nope/json', '/images/nope/tag', '/images/nope', '/volumes',
  '/volumes/create', '/volumes/nope', '/volumes/prune', '/containers/prune', '/images/prune', '/commit', '/containers/nope/archive', '/containers/nope/rename',
];
const TRICKS = ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/shadow', '/containers/..%2f..%2fetc/json', '/containers/%00/json', '/containers/%ZZ/json',
  `/containers/${'a'.repeat(5000)}/json`, '/v1.50//containers//json', '/v99.99/info', '/v0.1/info', '/vX/info', '//_ping', '/containers/json?filters={bad',
  '/containers/json?all=maybe', '/containers/json?limit=abc', '/events?since=yesterday', '/events?until=-', '/events?filters=[1,2]', '/containers/nope/logs?tail=x&stdout=1',
  '/images/json?filters={"dangling":5}', '/volumes?filters={"name":{"x":"y"}}', '/containers/json?filters={"health":{"purple":true}}'];
const BODIES = ['{', '[]', 'null', '"text"', '123', 'true', '{"Image":123}', '{"Image":"busybox","HostConfig":"x"}', '{"Image":"x","Cmd":"notalist"}',
  '{"Image":"x","HostConfig":{"Memory":"lots","RestartPolicy":{"Name":5}}}', '{"Image":"x","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}',
  '{"Image":"x","HostConfig":{"LogConfig":{"Type":"json-file","Config":{"max-size":[]}}}}', '{"Image":"x","Healthcheck":{"Interval":-5,"Test":"CMD"}}',
  '{"Name":{"a":1}}', '{"Driver":"zfs"}', '{"RestartPolicy":{"Name":"always","MaximumRetryCount":-1}}', '{"__proto__":{"polluted":true}}',
  '[' .repeat(50_000), '{"a":' + '"x'.repeat(10) + '}', '\u0000\u0001\u0002', '{"Image":"x","Env":[1,2,3],"Labels":"no"}'];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'PATCH', 'OPTIONS', 'BREW'];

function pick<T>(xs: readonly T[], i: number): T {
  return xs[i % xs.length] as T;
}

describe('daemon surface hardening', () => {
  let d: TestDaemon;
  let certs: string;
  let port = 0;
  before(async () => {
    certs = await mkdtemp(join(tmpdir(), 'berth-test-certs-'));
    const ssl = (args: string[]): Promise<unknown> => run('openssl', args).then((r) => ok(r, `openssl ${args[0]}`));
    await ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=berth-test-ca', '-keyout', join(certs, 'ca-key.pem'), '-out', join(certs, 'ca.pem')]);
    for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
      await ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', join(certs, `${name}-key.pem`), '-out', join(certs, `${name}.csr`)]);
      await run('sh', ['-c', `printf '%s\\n' '${ext}' > ${join(certs, `${name}.ext`)}`]);
      await ssl(['x509', '-req', '-in', join(certs, `${name}.csr`), '-CA', join(certs, 'ca.pem'), '-CAkey', join(certs, 'ca-key.pem'), '-CAcreateserial', '-days', '2', '-extfile', join(certs, `${name}.ext`), '-out', join(certs, `${name}.pem`)]);
    }
    port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    d = await TestDaemon.start(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem')]);
  });
  after(async () => {
    await d?.stop();
    await rm(certs, { recursive: true, force: true });
  });

  test('the socket is 0660, and a TCP listener without --tlsverify and certificates is refused', async () => {
    assert.equal((await stat(d.socket)).mode & 0o777, 0o660);
    // The daemon answers /_ping (start() waits for that) a moment before its log line arrives.
    await until(async () => (/socket is root-only|API listening/.test(d.logs) ? true : undefined), 'the listening log line');
    const r = await run(NODE, [BERTHD_JS, '-H', 'tcp://127.0.0.1:2375', '--data-root', join(certs, 'nodata')]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:2375 without --tlsverify/);
  });

  test('over TCP, TLS with a client certificate works for the docker CLI; no certificate, no answer', async () => {
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'docker') };
    await run('sh', ['-c', `mkdir -p ${join(certs, 'docker')} && cp ${join(certs, 'ca.pem')} ${join(certs, 'docker/ca.pem')} && cp ${join(certs, 'client.pem')} ${join(certs, 'docker/cert.pem')} && cp ${join(certs, 'client-key.pem')} ${join(certs, 'docker/key.pem')}`]);
    const v = ok(await d.docker(['version', '--format', '{{.Server.APIVersion}}'], { env }), 'docker over TLS');
    assert.equal(v.stdout.trim(), '1.50');
    const noCert = await run('curl', ['-sS', '--max-time', '5', '--cacert', join(certs, 'ca.pem'), `https://127.0.0.1:${port}/_ping`]);
    assert.notEqual(noCert.code, 0, 'a client without a certificate is refused');
    const plain = await run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/_ping`]);
    assert.notEqual(plain.stdout, 'OK');
  });

  test('thousands of malformed requests and slow clients: no crash, sensible statuses, memory back near baseline', async () => {
    const pid = await d.pidFromFile();
    await raw(d.socket, 'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Slow clients hold connections open while the rest goes on.
    const slow = Array.from({ length: 100 }, (_, i) => {
      const s = connect(d.socket);
      s.on('error', () => undefined);
      s.write(i % 2 === 0 ? 'GET /info HTTP/1.1\r\nHost: x\r\nX-Slow: ' : 'POST /volumes/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Na');
      return s;
    });
    let statuses = new Map<string, number>();
    let N = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        let req: string | Buffer;
        const kind = i % 8;
        const method = pick(METHODS, i * 7 + 3);
        if (kind === 0) req = `${method} /v1.50${pick(PATHS, i)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
        else if (kind === 1) req = `${method} ${pick(TRICKS, i)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
        else if (kind === 2 || kind === 3) {
          const body = pick(BODIES, i);
          req = `POST /v1.50${pick(PATHS, i * 3)}?name=fz${i}&t=abc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
        } else if (kind === 4) req = `GET /info HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000 + (i % 50_000))}\r\nConnection: close\r\n\r\n`;
        else if (kind === 5) req = Buffer.from(Array.from({ length: 64 + (i % 512) }, (_, k) => (k * 31 + i) % 256));
        else if (kind === 6) req = pick([`POST /volumes/create HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`, `POST /volumes/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}`,
          `POST /volumes/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`, `POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{`,
          `GET /containers/nope/attach HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: -4\r\n\r\n`, `POST /exec/nope/start HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\n{}`,
          `GET /events?until=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, `GET /${'%'.repeat(3000)} HTTP/1.1\r\nHost: x\r\n\r\n`], i);
        else req = `POST /v1.50/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${17 * 1024 * 1024}\r\nConnection: close\r\n\r\n{"Image":"`;
        const res = await raw(d.socket, req, kind === 6 ? 1500 : 3000);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(res)?.[1] ?? 'none';
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    const round = async (n: number): Promise<void> => {
      statuses = new Map();
      N = n;
      next = 0;
      await Promise.all(Array.from({ length: 16 }, worker));
    };
    // A first round grows the heap to its working size; the baseline is taken after it, so the
    // check below finds memory the big round kept (a leak), not V8 sizing its heap once.
    await round(1000);
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = await rssKb(pid);
    await round(4000);
    const alive = await raw(d.socket, 'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(alive, /^HTTP\/1\.1 200/, 'the daemon answers while slow clients hang on');
    for (const s of slow) s.destroy();
    assert.equal(statuses.get('500') ?? 0, 0, `no server faults: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get('400') ?? 0) > 500, `bad input is a 400: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get('431') ?? 0) > 100, 'huge headers are a 431');
    process.kill(pid, 0); // still the same process: it never crashed
    assert.equal(await d.pidFromFile(), pid);
    await new Promise((r) => setTimeout(r, 3000));
    const afterKb = await rssKb(pid);
    console.log(`fuzz: ${N} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS ${baseline} kB → ${afterKb} kB`);
    assert.ok(afterKb < baseline + 16 * 1024, `RSS after the warm-up ${baseline} kB → after 4000 more ${afterKb} kB`);
    assert.doesNotMatch(d.logs, /uncaught|unhandled/i);
  });
});
