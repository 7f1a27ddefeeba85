#!/usr/bin/env node
// Runs Berth's compiled tests with node:test. Usage: node scripts/run-tests.mjs unit|integration|all
//   unit        dist/src/**/*.test.js and dist/test/unit/**/*.test.js (no root, no daemon),
//               two files at a time
//   integration dist/test/**/*.test.js (not unit/, helpers/ or fixtures/), one file at a time: they
//               share the kernel (mounts, netns, cgroups) and each starts its own berthd
//   all         unit, then integration (both run even if unit fails)
// Only compiled files whose .ts source still exists run, so a deleted test's stale output in
// dist/ does not. A suite with no test file fails: a run that runs nothing must not pass.
// The last line printed is "N passed, N failed" (cancelled tests, e.g. timeouts, count as failed).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Berth runs on the Node 24 that npm ci installs, whichever node started this script.
const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
const nodeBinary = existsSync(projectNode) ? projectNode : process.execPath;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const suites = {
  unit: { dirs: ['dist/src', 'dist/test/unit'], exclude: [], concurrency: 2 },
  integration: {
    dirs: ['dist/test'],
    exclude: ['dist/test/unit', 'dist/test/helpers', 'dist/test/fixtures'],
    concurrency: 1,
  },
};

function findTests(dirs, exclude) {
  const out = [];
  const walk = (abs) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(abs, e.name);
      const rel = relative(root, p).split(sep).join('/');
      if (e.isDirectory()) {
        if (!exclude.includes(rel)) walk(p);
      } else if (e.isFile() && e.name.endsWith('.test.js')) {
        const source = rel.replace(/^dist\//, '').replace(/\.js$/, '.ts');
        if (existsSync(join(root, source))) out.push(rel);
        else console.log(`run-tests: skipping ${rel}: its source ${source} no longer exists`);
      }
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return out.sort();
}

// Strip colour codes, then read node's summary lines: "ℹ pass 3" (spec) or "# pass 3" (tap).
function parseSummary(text) {
  const counts = { pass: 0, fail: 0, cancelled: 0 };
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  for (const line of plain.split('\n')) {
    const m = /^\s*(?:ℹ|#)\s*(pass|fail|cancelled)\s+(\d+)\s*$/.exec(line);
    if (m) counts[m[1]] = Number(m[2]); // the last summary wins
  }
  return counts;
}

async function runSuite(name) {
  const suite = suites[name];
  const files = findTests(suite.dirs, suite.exclude);
  if (files.length === 0) {
    console.error(`run-tests: no ${name} test files found under ${suite.dirs.join(', ')} (did the build run?)`);
    return { code: 1, pass: 0, fail: 1 };
  }
  console.log(`run-tests: ${name}: ${files.length} file(s) on ${nodeBinary}`);
  const args = [
    '--test',
    `--test-concurrency=${suite.concurrency}`,
    '--test-reporter=spec',
    '--test-timeout=600000',
    ...files,
  ];
  const env = { ...process.env };
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';
  const child = spawn(nodeBinary, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const forward = (sig) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  let text = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    text += chunk.toString('utf8');
    if (text.length > 1 << 20) text = text.slice(-(1 << 16)); // the summary is at the end
  });
  const code = await new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`run-tests: cannot start ${nodeBinary}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  process.off('SIGTERM', forward);
  process.off('SIGINT', forward);
  const counts = parseSummary(text);
  let fail = counts.fail + counts.cancelled;
  if (code !== 0 && fail === 0) {
    console.error(`run-tests: ${name}: test runner exited ${code} without reporting a failed test; counting 1 failure`);
    fail = 1;
  }
  return { code, pass: counts.pass, fail };
}

const which = process.argv[2];
const names = which === 'all' ? ['unit', 'integration'] : Object.hasOwn(suites, which ?? '') ? [which] : null;
if (!names) {
  console.error('usage: node scripts/run-tests.mjs unit|integration|all');
  process.exit(2);
}
let pass = 0;
let fail = 0;
let exitCode = 0;
for (const name of names) {
  const r = await runSuite(name);
  pass += r.pass;
  fail += r.fail;
  if (r.code !== 0 && exitCode === 0) exitCode = r.code;
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(exitCode);
