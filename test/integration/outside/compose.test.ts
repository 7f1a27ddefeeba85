import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ok, until } from '../../helpers/expect.js';
import { DOCKER, type RunResult } from '../../helpers/test-daemon.js';
import { COMPOSE_V1, plain, requireTool, runIn, startOutsideTarget, type OutsideTarget } from '../../helpers/outside-tools.js';

/**
 * Docker Compose v2 (the Go CLI plugin, Debian's 2.26.1) and v1 (the Python docker-compose,
 * Debian's 1.29.2) drive one project through its life against berthd, unchanged: images built
 * with `build:` (POST /build), a health-gated depends_on, a published port on loopback, user
 * networks with an alias, a named volume, one-off runs, recreate, scale and `down -v`.
 */

// db: a tiny "database" (busybox httpd serving /data, a named volume) that is unhealthy for its
// first two seconds, so depends_on: service_healthy has something to wait for. web: an httpd
// showing $GREETING on a published loopback port. worker: reads db through its alias and shares
// its PID and IPC namespaces (db copies its value into /dev/shm). Each
// script exits on SIGTERM so stops and downs do not wait out the 10 s grace period.
const FILES: Record<string, string> = {
  'compose.yaml': `services:
  db:
    build: ./db
    ipc: shareable
    volumes:
      - dbdata:/data
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:7000/value"]
      interval: 1s
      timeout: 2s
      retries: 30
    networks:
      backend:
        aliases: [database]
  web:
    build: ./web
    environment:
      GREETING: \${GREETING:-hello}
    ports:
      - "127.0.0.1::8080"
    depends_on:
      db:
        condition: service_healthy
    networks: [frontend, backend]
  worker:
    build: ./worker
    # Sees db's processes and shared memory (as a sidecar that watches them would).
    pid: "service:db"
    ipc: "service:db"
    depends_on:
      db:
        condition: service_healthy
    networks: [backend]
volumes:
  dbdata:
networks:
  frontend:
  backend:
`,
  'db/Dockerfile': `FROM busybox
CMD ["sh", "-c", "trap 'exit 0' TERM; [ -f /data/value ] || echo \\"db-$$-$RANDOM$RANDOM\\" > /data/value; cp /data/value /dev/shm/value; sleep 2; httpd -f -p 7000 -h /data & wait"]
`,
  'web/Dockerfile': `FROM busybox
CMD ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo \\"$GREETING\\" > /www/index.html && httpd -f -p 8080 -h /www & wait"]
`,
  'worker/Dockerfile': `FROM busybox
CMD ["sh", "-c", "trap 'exit 0' TERM; while :; do echo \\"worker got $(wget -q -O - http://database:7000/value)\\"; sleep 1 & wait; done"]
`,
};

interface ComposeCli {
  name: string;
  file: string;
  prefix: string[];
  /** v2 names containers project-service-1, v1 project_service_1. */
  sep: string;
  /**
   * v1's `down --rmi local` removes the images it built by name. v2 2.26.1 removes only images
   * labelled with the project, and its classic-builder path labels them with nothing but
   * `com.docker.compose.image.builder`: it leaves them, on dockerd 20.10 just as on Berth.
   */
  rmiLocalRemovesBuilds: boolean;
  env: NodeJS.ProcessEnv;
}

const V2: ComposeCli = { name: 'docker compose v2', file: DOCKER, prefix: ['compose'], sep: '-', rmiLocalRemovesBuilds: false, env: {} };
// v1 asks for the daemon's highest version (1.50 on Berth) and reads `ContainerConfig` from image
// inspect when it recreates a container: Berth keeps that field at every version, so v1 runs
// unpinned (on Docker 25+ it fails with KeyError: 'ContainerConfig' unless COMPOSE_API_VERSION is set).
const V1: ComposeCli = { name: 'docker-compose v1', file: COMPOSE_V1, prefix: [], sep: '_', rmiLocalRemovesBuilds: true, env: {} };

let t: OutsideTarget;
before(async () => {
  requireTool(COMPOSE_V1);
  t = await startOutsideTarget();
});
after(async () => {
  await t?.stop();
});

for (const cli of [V2, V1]) {
  describe(`${cli.name} drives a web + db + worker project`, () => {
    const project = `bc${cli.sep === '-' ? 'two' : 'one'}${process.pid}`;
    let dir: string;
    let env: NodeJS.ProcessEnv = { ...cli.env };
    const compose = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
      runIn(cli.file, [...cli.prefix, '-p', project, ...args], t.env({ ...env, ...extra }), dir);
    const idsOf = async (service: string): Promise<string[]> =>
      ok(await compose(['ps', '-q', service]), `ps -q ${service}`).stdout.split('\n').filter(Boolean).sort();
    const inspect = async (id: string, format: string): Promise<string> =>
      ok(await t.docker(['inspect', '--format', format, id]), `inspect ${id}`).stdout.trim();
    const webUrl = async (): Promise<string> => `http://${ok(await compose(['port', 'web', '8080']), 'port web 8080').stdout.trim()}/`;
    const get = async (url: string): Promise<string> => (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
    const byLabel = async (kind: string): Promise<string> => {
      const cmd = kind === 'container' ? ['ps', '-a', '-q'] : [kind, 'ls', '-q'];
      return ok(await t.docker([...cmd, '--filter', `label=com.docker.compose.project=${project}`]), `${kind} ls`).stdout.trim();
    };

    before(async () => {
      dir = join(t.scratch, project);
      for (const [name, text] of Object.entries(FILES)) {
        await mkdir(join(dir, name, '..'), { recursive: true });
        await writeFile(join(dir, name), text);
      }
    });
    const builtImages = async (): Promise<string[]> =>
      ok(await t.docker(['images', '--format', '{{.Repository}}']), 'images').stdout.split('\n').filter((r) => r.startsWith(project)).sort();
    after(async () => {
      // Whatever a failed step left: the project's containers, networks, volume and images.
      await compose(['down', '-v', '--rmi', 'local', '-t', '1']);
      const left = await builtImages();
      if (left.length > 0) await t.docker(['rmi', ...left]);
    });

    test('up -d --build: builds with POST /build, starts web only once db is healthy, publishes web on loopback', async () => {
      const up = await compose(['up', '-d', '--build']);
      ok(up, 'up -d --build');
      for (const service of ['db', 'web', 'worker']) {
        const images = ok(await t.docker(['images', '-q', `${project}${cli.sep}${service}`]), 'images').stdout.trim();
        assert.match(images, /^[a-f0-9]{12}$/, `the ${service} image was built and tagged`);
      }
      const [db] = await idsOf('db');
      const [web] = await idsOf('web');
      assert.ok(db && web);
      assert.equal(await inspect(db, '{{.State.Health.Status}}'), 'healthy');
      // db's httpd listens two seconds after it starts: web can only have started after that.
      const dbStarted = Date.parse(await inspect(db, '{{.State.StartedAt}}'));
      const webStarted = Date.parse(await inspect(web, '{{.State.StartedAt}}'));
      assert.ok(webStarted - dbStarted >= 2000, `web started ${webStarted - dbStarted} ms after db, before db could be healthy`);
      const url = await webUrl();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(await get(url), 'hello\n');
    });

    test('the worker reaches db by its alias on the user network (logs) and sees its processes; exec runs in a service', async () => {
      const value = ok(await compose(['exec', '-T', 'db', 'cat', '/data/value']), 'exec db cat').stdout.trim();
      assert.match(value, /^db-\d+-\d+$/);
      const logs = await until(async () => {
        const r = ok(await compose(['logs', '--no-color', 'worker']), 'logs worker');
        return plain(r.stdout).includes(`worker got ${value}`) ? plain(r.stdout) : undefined;
      }, 'the worker to log what it read from db', 15_000);
      assert.match(logs, new RegExp(`worker${cli.sep}1\\s+\\| worker got ${value}`));
      const failed = await compose(['exec', '-T', 'web', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
      assert.equal(failed.code, 3, 'exec passes the command exit code through');
      assert.match(failed.stderr, /to-stderr/);
      // pid: and ipc: service:db: the worker shares db's PID namespace and /dev/shm.
      const ps = ok(await compose(['exec', '-T', 'worker', 'ps', '-o', 'args']), 'exec worker ps').stdout;
      assert.match(ps, /httpd -f -p 7000 -h \/data/);
      assert.equal(ok(await compose(['exec', '-T', 'worker', 'cat', '/dev/shm/value']), 'exec worker cat /dev/shm').stdout.trim(), value);
      // web is on frontend and backend: it resolves db's alias too, but worker is not on frontend.
      ok(await compose(['exec', '-T', 'web', 'nslookup', 'database']), 'web resolves the alias');
    });

    test('run --rm: a one-off worker reads db by alias and is removed after', async () => {
      const value = ok(await compose(['exec', '-T', 'db', 'cat', '/data/value']), 'exec db cat').stdout.trim();
      const r = ok(await compose(['run', '--rm', '-T', 'worker', 'wget', '-q', '-O', '-', 'http://database:7000/value']), 'run --rm');
      assert.equal(r.stdout.trim(), value);
      const oneOffs = ok(await t.docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.oneoff=True']), 'ps one-offs');
      assert.equal(oneOffs.stdout.trim(), '', 'the one-off container is gone');
    });

    test('up -d after an environment change recreates web only', async () => {
      const [dbBefore] = await idsOf('db');
      const [webBefore] = await idsOf('web');
      env = { ...env, GREETING: 'changed' };
      ok(await compose(['up', '-d']), 'up -d (recreate)');
      const [dbAfter] = await idsOf('db');
      const [webAfter] = await idsOf('web');
      assert.equal(dbAfter, dbBefore, 'db is unchanged, so kept');
      assert.notEqual(webAfter, webBefore, 'web is recreated');
      assert.equal(await inspect(webAfter!, '{{range .Config.Env}}{{println .}}{{end}}').then((e) => e.split('\n').includes('GREETING=changed')), true);
      assert.equal(await get(await webUrl()), 'changed\n');
    });

    test('up -d --scale worker=3 runs three workers, all reading db', async () => {
      ok(await compose(['up', '-d', '--scale', 'worker=3']), 'up --scale worker=3');
      const workers = await idsOf('worker');
      assert.equal(workers.length, 3);
      for (const id of workers) assert.equal(await inspect(id, '{{.State.Running}}'), 'true');
      const names = (await Promise.all(workers.map((id) => inspect(id, '{{.Name}}')))).sort();
      assert.deepEqual(names, [1, 2, 3].map((n) => `/${project}${cli.sep}worker${cli.sep}${n}`));
      await until(async () => {
        const logs = plain(ok(await compose(['logs', '--no-color', 'worker']), 'logs').stdout);
        return [1, 2, 3].every((n) => new RegExp(`worker${cli.sep}${n}\\s+\\| worker got db-`).test(logs)) ? true : undefined;
      }, 'every worker to read db', 15_000);
    });

    test('the named volume keeps its data across down and up', async () => {
      ok(await compose(['exec', '-T', 'db', 'sh', '-c', 'echo kept > /data/marker']), 'write marker');
      ok(await compose(['down', '-t', '1']), 'down');
      assert.equal(await byLabel('container'), '', 'down removes the containers');
      assert.equal(await byLabel('network'), '', 'down removes the networks');
      assert.match(await byLabel('volume'), /dbdata$/, 'down keeps the named volume');
      ok(await compose(['up', '-d']), 'up -d again');
      assert.equal(ok(await compose(['exec', '-T', 'db', 'cat', '/data/marker']), 'read marker').stdout, 'kept\n');
      assert.equal(await get(await webUrl()), 'changed\n');
    });

    test('down -v --rmi local removes containers, networks and the volume (and v1 its built images)', async () => {
      ok(await compose(['down', '-v', '--rmi', 'local', '-t', '1']), 'down -v');
      assert.equal(await byLabel('container'), '');
      assert.equal(await byLabel('network'), '');
      assert.equal(await byLabel('volume'), '');
      const names = ['db', 'web', 'worker'].map((s) => `${project}${cli.sep}${s}`);
      assert.deepEqual(await builtImages(), cli.rmiLocalRemovesBuilds ? [] : names);
      if (!cli.rmiLocalRemovesBuilds) {
        // As a user of v2 then does; the two projects' builds share cache (parent images).
        ok(await t.docker(['rmi', ...names]), 'rmi the built images');
        assert.deepEqual(await builtImages(), []);
      }
    });
  });
}
