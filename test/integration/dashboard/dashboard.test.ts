/**
 * The web dashboard (berthd --ui), driven in Debian's chromium by playwright-core: the list follows
 * containers within a second, the plots show memory and CPU as `docker stats` does, actions work
 * from the keyboard, an OOM-killed container's page says so with its last lines, the token guards
 * every request, and a tab hidden for a minute comes back without a burst. The browser runs with
 * no network but loopback, and every request it makes is checked to stay on the page's origin.
 * Screenshots of each page go to docs/img/ when BERTH_SCREENSHOTS=1 (else to the test's own root).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, TestDaemon, run as runTool } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

// The page's globals, as far as the functions playwright runs in the page use them (this
// program compiles without the DOM library).
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  activeElement: PageElement | null;
  dispatchEvent(e: Event): boolean;
};
declare const window: { __berth: { sseMessages: number } };

const CHROMIUM = '/usr/bin/chromium';
const MiB = 1024 * 1024;

/** A closed network: no proxy, no name resolution but loopback, none of Chrome's own traffic. */
const CLOSED_NETWORK_FLAGS = [
  '--no-sandbox',
  '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--metrics-recording-only',
  '--no-first-run',
  '--disable-domain-reliability',
  '--disable-features=OptimizationHints,MediaRouter,Translate',
];

/** A test daemon with the dashboard on, and a browser logged in to it, every request checked to stay on its origin. */
interface Session {
  d: TestDaemon;
  browser: Browser;
  context: BrowserContext;
  base: string;
  login: string;
  token: string;
  offOrigin: string[];
  pageErrors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

async function openSession(daemonArgs: string[]): Promise<Session> {
  const d = await TestDaemon.startWithBusybox(['--ui', '127.0.0.1:0', ...daemonArgs]);
  const offOrigin: string[] = [];
  const pageErrors: string[] = [];
  let browser: Browser | undefined;
  try {
    const login = ok(await d.berth(['ui']), 'berth ui').stdout.trim();
    const u = new URL(login);
    const base = u.origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CLOSED_NETWORK_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    // Every request the pages make: anything off the dashboard's origin is recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === base || url.startsWith('data:')) return route.continue();
      offOrigin.push(url);
      return route.abort();
    });
    const newPage = async (): Promise<Page> => {
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return page;
    };
    const page = await newPage();
    await page.goto(login);
    await page.close();
    const opened = browser;
    return {
      d, browser: opened, context, base, login, token: u.searchParams.get('token') ?? '', offOrigin, pageErrors, newPage,
      close: async () => {
        await opened.close().catch(() => undefined);
        await d.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await d.stop();
    throw err;
  }
}

const NO_CHROMIUM = !existsSync(CHROMIUM) && 'chromium is not installed (scripts/install-test-clients.sh)';

// The hidden tab's minute runs beside the other page tests, on a daemon and browser of its own
// (it must see nothing sample there): the file takes one minute less.
describe('dashboard pages', { skip: NO_CHROMIUM, concurrency: 2 }, () => {
  describe('dashboard', { concurrency: 1 }, () => {
    let session: Session;
    let d: TestDaemon;
    let base = '';
    let login = '';
    let token = '';
    let offOrigin: string[] = [];
    let pageErrors: string[] = [];
    const shotDir = process.env.BERTH_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs/img') : '';

    const shot = async (page: Page, name: string): Promise<void> => {
      const dir = shotDir || join(d.root, 'screenshots');
      await mkdir(dir, { recursive: true });
      const path = join(dir, `dashboard-${name}.png`);
      await page.screenshot({ path, fullPage: false });
      assert.ok((await stat(path)).size > 5000, `screenshot ${name} has content`);
    };

    const newPage = (): Promise<Page> => session.newPage();

    const run = async (...args: string[]): Promise<string> => ok(await d.berth(['run', '-d', ...args]), `run ${args.join(' ')}`).stdout.trim();

    before(async () => {
      // A disk budget far above what the test stores: the system page draws its marks, nothing is freed.
      session = await openSession(['--storage-budget', 'high=2GB,low=1GB']);
      ({ d, base, login, token, offOrigin, pageErrors } = session);
    });

    after(async () => {
      await session?.close();
    });

    test('berth ui prints the login URL; the token file is 0600; no token, no answer', async () => {
      assert.match(login, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      assert.equal((await stat(join(d.dataRoot, 'ui-token'))).mode & 0o777, 0o600);
      for (const path of ['/', '/app.js', '/api/containers/json', '/sse/containers', '/dash/daemon']) {
        const res = await fetch(base + path);
        assert.equal(res.status, 401, `${path} without the token`);
        await res.body?.cancel();
      }
      const wrong = await fetch(`${base}/api/containers/json`, { headers: { Cookie: `berth_ui=${'0'.repeat(64)}` } });
      assert.equal(wrong.status, 401, 'a wrong cookie');
      const first = await fetch(login, { redirect: 'manual' });
      assert.equal(first.status, 303, 'the token in the URL is traded for a cookie');
      assert.equal(first.headers.get('location'), '/');
      assert.match(first.headers.get('set-cookie') ?? '', /^berth_ui=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict$/);
      const page = await fetch(`${base}/`, { headers: { Cookie: `berth_ui=${token}` } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'/);
      assert.doesNotMatch(await page.text(), /<script>|<script [^>]*>[^<]/, 'no inline script');
      // Only the actions the buttons offer: exec, create and the rest stay the socket's.
      const create = await fetch(`${base}/api/containers/create`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'X-Berth-UI': '1', 'Content-Type': 'application/json' }, body: '{"Image":"busybox"}' });
      assert.equal(create.status, 403);
      await create.body?.cancel();
      const noHeader = await fetch(`${base}/api/containers/nothing/stop`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      assert.equal(noHeader.status, 403, 'an action without X-Berth-UI (a cross-site form) is refused');
      await noHeader.body?.cancel();
    });

    test('a new container appears in the list within 1 s', async () => {
      const page = await newPage();
      await page.goto(`${base}/`);
      await page.waitForSelector('table.containers');
      const res = await d.client.json<{ Id: string }>({ method: 'POST', path: '/containers/create', query: { name: 'hui-new' }, body: { Image: 'busybox', Cmd: ['sleep', '300'] } });
      const t0 = Date.now();
      await page.waitForSelector(`tr[data-id="${res.Id}"]`, { timeout: 1000 });
      const ms = Date.now() - t0;
      console.log(`# new container listed after ${ms} ms`);
      assert.ok(ms < 1000);
      await page.close();
    });

    test('a container that allocates 50 MB shows it in the memory plot within 3 s; the containers page', async () => {
      // 50 MiB in /dev/shm (a tmpfs charged to the container's memory cgroup), then a little work
      // and a log line every second, for plots and a log worth a screenshot.
      const work = 'n=0; while :; do n=$((n+1)); i=0; while [ $i -lt $((n % 5 * 4000)) ]; do i=$((i+1)); done; echo "tick $n: did $i loops"; sleep 1; done';
      const id = await run('--name', 'hui-mem', '-m', '256m', 'busybox', 'sh', '-c', `echo filling /dev/shm; dd if=/dev/zero of=/dev/shm/fill bs=1M count=50 2>&1; echo filled; ${work}`);
      const t0 = Date.now();
      const page = await newPage();
      await page.goto(`${base}/containers/${id}`);
      const mem = await page.waitForFunction(() => {
        const last = document.querySelector('#plot-mem')?.getAttribute('data-last');
        const v = last ? (JSON.parse(last) as number[]) : [];
        return (v[0] ?? 0) >= 50 * 1024 * 1024 ? v : false;
      }, undefined, { timeout: 3000, polling: 100 });
      const [used, limit] = (await mem.jsonValue()) as number[];
      console.log(`# memory plot at ${((used ?? 0) / MiB).toFixed(1)} MiB of ${((limit ?? 0) / MiB).toFixed(0)} MiB after ${Date.now() - t0} ms`);
      assert.equal(limit, 256 * MiB, 'the limit is plotted beside');
      await page.waitForFunction(() => document.querySelector('pre.log')?.textContent?.includes('filled'), undefined, { timeout: 5000 });
      await sleep(20_000);
      await shot(page, 'container');
      await page.close();
      const list = await newPage();
      await list.goto(`${base}/`);
      await list.waitForFunction(() => /MiB/.test(document.querySelector('tr[data-name="hui-mem"] td.mem')?.textContent ?? ''), undefined, { timeout: 5000 });
      await shot(list, 'containers');
      await list.setViewportSize({ width: 390, height: 844 });
      await sleep(300);
      await shot(list, 'containers-phone');
      await list.close();
    });

    test("CPU % agrees with docker stats --no-stream within 5 points", async () => {
      await run('--name', 'hui-cpu', '--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done');
      const page = await newPage();
      try {
        await page.goto(`${base}/`);
        const cell = 'tr[data-name="hui-cpu"] td.cpu';
        await page.waitForFunction((sel) => /%/.test(document.querySelector(sel)?.textContent ?? ''), cell, { timeout: 5000 });
        await sleep(2500);
        // Five readings of each, side by side; their medians must agree.
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let i = 0; i < 5; i++) {
          theirs.push(parseFloat(ok(await d.docker(['stats', '--no-stream', '--format', '{{.CPUPerc}}', 'hui-cpu']), 'docker stats').stdout));
          ours.push(parseFloat((await page.textContent(cell)) ?? ''));
        }
        const median = (v: number[]): number => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
        const seen = `dashboard ${ours.join(' ')} (median ${median(ours)}), docker ${theirs.join(' ')} (median ${median(theirs)})`;
        console.log(`# CPU %: ${seen}`);
        assert.ok(Math.abs(median(ours) - median(theirs)) <= 5, seen);
      } finally {
        await page.close();
        ok(await d.berth(['rm', '-f', 'hui-cpu']), 'rm');
      }
    });

    test('stop and start from the container page, by keyboard alone', async () => {
      const id = await run('--name', 'hui-act', 'busybox', 'sh', '-c', 'echo up; trap "exit 0" TERM; while :; do sleep 1; done');
      const page = await newPage();
      await page.goto(`${base}/containers/${id}`);
      await page.waitForSelector('h1 .s-running');
      const press = async (label: string): Promise<void> => {
        for (let i = 0; i < 60; i++) {
          await page.keyboard.press('Tab');
          if ((await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === label) break;
        }
        assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), label, `Tab reaches ${label}`);
        await page.keyboard.press('Enter');
        await page.waitForSelector('dialog.confirm[open]');
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the dialog focuses Cancel');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
      };
      await press('Stop hui-act');
      await page.waitForSelector('h1 .s-exited', { timeout: 15000 });
      assert.equal((await d.client.json<{ State: { Running: boolean } }>({ method: 'GET', path: `/containers/${id}/json` })).State.Running, false);
      await press('Start hui-act');
      await page.waitForSelector('h1 .s-running', { timeout: 10000 });
      assert.equal((await d.client.json<{ State: { Running: boolean } }>({ method: 'GET', path: `/containers/${id}/json` })).State.Running, true);
      await page.close();
    });

    test("an OOM-killed container's page shows reason OOM and its last log lines", async () => {
      const id = await run('--name', 'hui-oom', '-m', '8m', '--memory-swap', '8m', 'busybox', 'sh', '-c', 'echo eating memory now; echo second line; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived');
      ok(await d.berth(['wait', id]), 'wait');
      const page = await newPage();
      await page.goto(`${base}/containers/${id}`);
      await page.waitForSelector('.death .reason');
      assert.match((await page.textContent('.death .reason')) ?? '', /OOM/);
      const last = (await page.textContent('.death .last-lines')) ?? '';
      assert.match(last, /eating memory now/);
      assert.match(last, /second line/);
      await shot(page, 'container-oom');
      await page.close();
    });

    test('every page renders (screenshots), also dark; no request left the origin', async () => {
      ok(await d.berth(['volume', 'create', 'hui-data']), 'volume');
      ok(await d.berth(['network', 'create', 'hui-net']), 'network');
      ok(await d.berth(['rm', '-f', 'hui-oom']), 'rm');
      const page = await newPage();
      for (const [path, name, ready] of [
        ['/images', 'images', 'td'],
        ['/volumes', 'volumes', 'td'],
        ['/networks', 'networks', 'td'],
        ['/events', 'events', 'td'],
        ['/removed', 'removed', 'td a'],
        ['/system', 'system', '.daemon-rss'],
      ] as const) {
        await page.goto(base + path);
        await page.waitForSelector(ready);
        await sleep(300);
        await shot(page, name);
      }
      assert.match((await page.textContent('main')) ?? '', /Resident memory/);
      assert.match((await page.textContent('main')) ?? '', /Storage budget: past the high mark 1\.9 GiB \(the red line\) Berth frees down to 954 MiB/);
      await page.goto(`${base}/removed`);
      await page.click('td a');
      await page.waitForSelector('.death .reason');
      assert.match((await page.textContent('.death .reason')) ?? '', /OOM/);
      await page.waitForFunction(() => document.querySelector('pre.log:not(.last-lines)')?.textContent?.includes('eating memory now'), undefined, { timeout: 5000 });
      await shot(page, 'removed-one');
      await page.emulateMedia({ colorScheme: 'dark' });
      const id = (await d.client.json<{ Id: string }>({ method: 'GET', path: '/containers/hui-mem/json' })).Id;
      await page.goto(`${base}/containers/${id}`);
      await page.waitForSelector('#plot-mem[data-last^="["]');
      await sleep(3000);
      await shot(page, 'container-dark');
      await page.close();
      assert.deepEqual(offOrigin, [], 'requests off the dashboard origin');
      assert.deepEqual(pageErrors, [], 'errors in the pages');
    });
  });

  describe('a hidden dashboard tab', { concurrency: 1 }, () => {
    let session: Session;

    before(async () => {
      session = await openSession([]);
    });

    after(async () => {
      await session?.close();
    });

    test('a tab hidden for 60 s stops its feeds (nothing samples) and resumes without a burst', async () => {
      const { d, base, token } = session;
      // A little work and a log line every second: both feeds have something to send.
      const id = ok(await d.berth(['run', '-d', '--name', 'hui-tick', 'busybox', 'sh', '-c', 'n=0; while :; do n=$((n+1)); echo "tick $n"; sleep 1; done']), 'run').stdout.trim();
      const page = await session.newPage();
      await page.goto(`${base}/containers/${id}`);
      await page.waitForSelector('#plot-cpu[data-last^="["]', { timeout: 5000 });
      const daemonFacts = async (): Promise<{ samplers: number }> => (await (await fetch(`${base}/dash/daemon`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { samplers: number };
      assert.ok((await daemonFacts()).samplers >= 1, 'the open page samples');
      const setHidden = (hidden: boolean): Promise<void> =>
        page.evaluate((h) => {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
          document.dispatchEvent(new Event('visibilitychange'));
        }, hidden);
      const count = (): Promise<number> => page.evaluate(() => window.__berth.sseMessages);
      await setHidden(true);
      await sleep(1500);
      const hiddenAt = await count();
      assert.equal((await daemonFacts()).samplers, 0, 'with the only page hidden, nothing samples');
      await sleep(58_500);
      const beforeShow = await count();
      assert.equal(beforeShow, hiddenAt, 'no messages while hidden');
      await setHidden(false);
      await sleep(3000);
      const burst = (await count()) - beforeShow;
      console.log(`# ${burst} SSE messages in the 3 s after the tab came back (hidden 60 s)`);
      // The stats feed's history, the log feed's start and tail, then about three points and three
      // log batches; a backlog of the hidden minute would be 60 points and 60 log batches more.
      assert.ok(burst <= 15, `${burst} messages`);
      const last = JSON.parse((await page.getAttribute('#plot-cpu', 'data-last')) ?? '[]') as number[];
      assert.equal(last.length, 1, 'the plot has current data');
      await page.close();
      assert.deepEqual(session.offOrigin, [], 'requests off the dashboard origin');
      assert.deepEqual(session.pageErrors, [], 'errors in the page');
    });
  });
});

describe('dashboard address and TLS', () => {
  test('off by default: berth ui says how to turn it on', async () => {
    const d = await TestDaemon.start();
    try {
      const r = await d.berth(['ui']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /the dashboard is off: start berthd with --ui 127\.0\.0\.1:8090/);
    } finally {
      await d.stop();
    }
  });

  test('with --tlscert/--tlskey it speaks HTTPS, and the cookie is Secure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hui-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    let d: TestDaemon | undefined;
    try {
      ok(await runTool('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1']), 'openssl');
      d = await TestDaemon.start(['--ui', '127.0.0.1:0', '--tlscert', cert, '--tlskey', key]);
      const login = ok(await d.berth(['ui']), 'berth ui').stdout.trim();
      assert.match(login, /^https:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      const ca = await readFile(cert);
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        https.get(login, { ca }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') });
        }).on('error', reject);
      });
      assert.equal(answer.status, 303);
      assert.match(answer.cookie, /; Secure$/);
      const plain = await fetch(login.replace('https:', 'http:')).then((r) => r.status, () => 'refused');
      assert.notEqual(plain, 200, 'no plain HTTP beside it');
    } finally {
      await d?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
