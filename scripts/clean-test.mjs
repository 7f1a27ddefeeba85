#!/usr/bin/env node
// Removes what failed test runs left behind, and only what carries the test marker:
//   1. processes started with `--data-root /tmp/berth-test-…` (test daemons): SIGTERM, then
//      SIGKILL after 5 s;
//   2. mounts under /tmp/berth-test-*, deepest first (lazy unmount if busy);
//   3. the bridges and nft table of those test daemons, named in their own network records
//      (`<data-root>/network/networks/*.json`; the table is `berth_<default bridge>`);
//   4. the /tmp/berth-test-* directories, each only once nothing is mounted under it (a
//      recursive delete through a leftover bind mount would delete host files).
// Nothing else is touched. `--dry-run` prints what it would do. Needs root for most of it.
// It cannot tell a live test run from a dead one: don't run it while tests run on this machine.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const MARKER_DIR = '/tmp/berth-test-';
const dryRun = process.argv.includes('--dry-run');
let problems = 0;

function warn(msg) {
  problems++;
  console.error(`clean-test: ${msg}`);
}

/** True when the argv carries `--data-root /tmp/berth-test-…` (or `--data-root=…`). */
function isTestProcess(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data-root' && argv[i + 1]?.startsWith(MARKER_DIR)) return true;
    if (a.startsWith(`--data-root=${MARKER_DIR}`)) return true;
  }
  return false;
}

function testProcesses() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (isTestProcess(argv)) pids.push({ pid, cmd: argv.join(' ').trim() });
  }
  return pids;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function killTestProcesses() {
  const procs = testProcesses();
  for (const { pid, cmd } of procs) {
    console.log(`clean-test: ${dryRun ? 'would stop' : 'stopping'} pid ${pid}: ${cmd}`);
    if (!dryRun) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch (err) {
        if (err.code !== 'ESRCH') warn(`cannot signal pid ${pid}: ${err.message}`);
      }
    }
  }
  if (dryRun || procs.length === 0) return;
  for (let waited = 0; waited < 5000 && procs.some((p) => alive(p.pid)); waited += 100) await sleep(100);
  for (const { pid } of procs) {
    if (!alive(pid)) continue;
    console.log(`clean-test: pid ${pid} ignored SIGTERM; sending SIGKILL`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if (err.code !== 'ESRCH') warn(`cannot kill pid ${pid}: ${err.message}`);
    }
  }
}

/** Mount points under a test directory, from mountinfo (field 5, octal-escaped). */
function testMounts() {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (point.startsWith(MARKER_DIR)) points.push(point);
  }
  return points;
}

function depth(p) {
  return p.split('/').length;
}

function unmountAll() {
  // Mounts can be stacked and nested: unmount deepest first, re-reading until none are left.
  for (let pass = 0; pass < 10; pass++) {
    const points = testMounts().sort((a, b) => depth(b) - depth(a) || b.localeCompare(a));
    if (points.length === 0) return;
    for (const point of dryRun ? [...new Set(points)] : points) {
      console.log(`clean-test: ${dryRun ? 'would unmount' : 'unmounting'} ${point}`);
      if (dryRun) continue;
      let r = spawnSync('umount', [point], { encoding: 'utf8' });
      if (r.status !== 0) r = spawnSync('umount', ['--lazy', point], { encoding: 'utf8' });
      if (r.status !== 0) warn(`cannot unmount ${point}: ${(r.stderr ?? r.error?.message ?? '').trim()}`);
    }
    if (dryRun) return;
  }
  const left = testMounts();
  if (left.length) warn(`mounts still present after 10 passes: ${left.join(', ')}`);
}

/** Bridges and the nft table a test daemon keeps on purpose (its containers outlive it). */
function removeNetworking() {
  for (const name of readdirSync('/tmp')) {
    if (!name.startsWith('berth-test-')) continue;
    const dir = `/tmp/${name}/data/network/networks`;
    let files = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      continue;
    }
    for (const f of files) {
      let rec;
      try {
        rec = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
      } catch {
        continue;
      }
      if (rec.Driver !== 'bridge' || typeof rec.Id !== 'string') continue;
      const bridge = rec.Options?.['com.docker.network.bridge.name'] ?? `br-${rec.Id.slice(0, 12)}`;
      const steps = [['ip', ['link', 'del', 'dev', bridge]]];
      if (rec.Name === 'bridge' && bridge !== 'berth0') for (const family of ['ip', 'ip6']) steps.push(['nft', ['delete', 'table', family, `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`]]);
      for (const [cmd, args] of steps) {
        if (cmd === 'ip' && spawnSync('ip', ['link', 'show', 'dev', bridge]).status !== 0) continue;
        if (cmd === 'nft' && spawnSync('nft', ['list', 'table', args[2], args[3]]).status !== 0) continue;
        console.log(`clean-test: ${dryRun ? 'would run' : 'running'} ${cmd} ${args.join(' ')}`);
        if (!dryRun && spawnSync(cmd, args).status !== 0) warn(`${cmd} ${args.join(' ')} failed`);
      }
    }
  }
}

function removeDirs() {
  const mounted = dryRun ? [] : testMounts();
  for (const name of readdirSync('/tmp')) {
    if (!name.startsWith('berth-test-')) continue;
    const dir = `/tmp/${name}`;
    if (mounted.some((m) => m === dir || m.startsWith(`${dir}/`))) {
      warn(`not removing ${dir}: something is still mounted under it`);
      continue;
    }
    console.log(`clean-test: ${dryRun ? 'would remove' : 'removing'} ${dir}`);
    if (dryRun) continue;
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      warn(`cannot remove ${dir}: ${err.message}`);
    }
  }
}

await killTestProcesses();
removeNetworking();
unmountAll();
removeDirs();
if (problems) {
  console.error(`clean-test: finished with ${problems} problem(s)`);
  process.exit(1);
}
console.log('clean-test: done');
