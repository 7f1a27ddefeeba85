#!/usr/bin/env node
// Runs the compat suite (dist/test/compat) against Berth and against a private dockerd, and writes
// the per-case result table into docs/compatibility.md between its results markers (the text
// around them, such as the known differences, is kept). Usage (root, after `npm run build`):
//   node scripts/compat-report.mjs            both targets, then write the table
//   node scripts/compat-report.mjs berth      one target only: print its summary, keep its results
//                                            in dist/compat-berth.tap, write nothing
//   node scripts/compat-report.mjs --saved    write the table from both targets' kept results
//   node scripts/compat-report.mjs docker-py [--saved]
//                                            only docker-py's suites (below), or from kept results
// Besides the compat suite, it runs docker-py's own integration suites (5.0.3 at API 1.41, and
// 7.1.0; test/outside/docker-py.ts) on a private berthd and a private dockerd, keeps each run's
// results in dist/docker-py-<engine>-<suite>.json (+ .log), and writes the per-module table and
// every test whose result differs between <!-- docker-py:start --> and <!-- docker-py:end -->; the
// explanation of a difference comes from test/outside/docker-py/explained.txt, or from the
// known-failing list of the suite.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectNode = join(root, 'node_modules/.bin/node');
const node = existsSync(projectNode) ? projectNode : process.execPath;
const DOC = join(root, 'docs/compatibility.md');
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

function files() {
  const dir = join(root, 'dist/test/compat');
  return readdirSync(dir).filter((f) => f.endsWith('.test.js') && existsSync(join(root, 'test/compat', f.replace(/\.js$/, '.ts')))).sort().map((f) => join(dir, f));
}

/** Runs the suite on one target; returns the TAP text. */
function runTarget(target) {
  return new Promise((resolve) => {
    const env = { ...process.env, BERTH_TEST_TARGET: target };
    const child = spawn(node, ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files()], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (b) => (text += b.toString()));
    child.on('close', () => {
      writeFileSync(join(root, `dist/compat-${target}.tap`), text);
      resolve(text);
    });
  });
}

/** Case results from node's TAP: area (the describe, without its [target]) → case → state. */
function parseTap(text) {
  const results = new Map();
  let area = 'CLI flags';
  for (const line of text.split('\n')) {
    const sub = /^# Subtest: (.*)$/.exec(line);
    if (sub) {
      area = /^compat (.*) \[(berth|docker)\]$/.exec(sub[1])?.[1] ?? 'CLI flags';
      continue;
    }
    const m = /^( *)(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)(?: (.*))?)?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    const name = m[3].replace(/\\#/g, '#');
    // A describe's own result line sits at depth 0 with the area's name: not a case.
    if (depth === 0 && /^compat .* \[(berth|docker)\]$/.test(name)) continue;
    // A file with no test for this target (hostile-archives on berthd) is reported as itself.
    if (depth === 0 && /\.test\.js$/.test(name)) continue;
    const caseArea = depth === 0 ? 'CLI flags' : area;
    const state = m[4] === 'SKIP' ? `skipped: ${m[5] ?? ''}`.trim() : m[2] === 'ok' ? 'pass' : 'FAIL';
    if (!results.has(caseArea)) results.set(caseArea, new Map());
    results.get(caseArea).set(name, state);
  }
  return results;
}

function count(results) {
  const c = { pass: 0, fail: 0, skip: 0 };
  for (const cases of results.values()) {
    for (const s of cases.values()) {
      if (s === 'pass') c.pass++;
      else if (s === 'FAIL') c.fail++;
      else c.skip++;
    }
  }
  return c;
}

const cell = (s) => (s === undefined ? '–' : s === 'pass' ? 'pass' : s === 'FAIL' ? '**FAIL**' : s.startsWith('skipped') ? 'skipped' : s);

function table(berth, docker, date) {
  const b = count(berth);
  const d = count(docker);
  const areas = [...new Set([...berth.keys(), ...docker.keys()])];
  const out = [
    START,
    `Results of ${date} (\`node scripts/compat-report.mjs\`): Berth ${b.pass} passed, ${b.fail} failed, ${b.skip} skipped`,
    `(pending other issues); dockerd ${d.pass} passed, ${d.fail} failed, ${d.skip} skipped. The hostile`,
    'archives area runs on dockerd only: on berthd the same corpus is the integration test',
    '`test/integration/security/hostile-archives.test.ts` (see "Hostile archives").',
    '',
    '| area | Berth pass | dockerd pass | Berth skipped |',
    '|---|---|---|---|',
  ];
  for (const a of areas) {
    const bs = [...(berth.get(a)?.values() ?? [])];
    const ds = [...(docker.get(a)?.values() ?? [])];
    out.push(`| ${a} | ${bs.filter((s) => s === 'pass').length}/${bs.length} | ${ds.filter((s) => s === 'pass').length}/${ds.length} | ${bs.filter((s) => s.startsWith('skipped')).length} |`);
  }
  for (const a of areas) {
    out.push('', `### ${a}`, '', '| case | Berth | dockerd 20.10 |', '|---|---|---|');
    const names = [...new Set([...(berth.get(a)?.keys() ?? []), ...(docker.get(a)?.keys() ?? [])])];
    for (const n of names) {
      const bs = berth.get(a)?.get(n);
      const reason = bs?.startsWith('skipped: ') ? ` (${bs.slice(9)})` : '';
      out.push(`| ${n.replace(/\|/g, '\\|')} | ${cell(bs)}${reason} | ${cell(docker.get(a)?.get(n))} |`);
    }
  }
  out.push(END);
  return out.join('\n');
}

const DPY_START = '<!-- docker-py:start -->';
const DPY_END = '<!-- docker-py:end -->';
const DPY_SUITES = ['5.0.3', '7.1.0'];
const dpyFile = (engine, suite) => join(root, `dist/docker-py-${engine}-${suite}.json`);

/** Runs one docker-py suite on one engine (dist/scripts/docker-py.js); resolves when it is written. */
function runDockerPy(engine, suite) {
  return new Promise((resolve) => {
    const child = spawn(node, [join(root, 'dist/scripts/docker-py.js'), engine, suite, dpyFile(engine, suite)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => resolve(code));
  });
}

const failedish = (o) => o === 'failed' || o === 'error';
const dpyCell = (o) => (o === undefined ? '–' : failedish(o) ? '**FAIL**' : o === 'passed' ? 'pass' : o);

async function dockerPyTable(date) {
  // The lists' reader is the harness's own (built by `npm run build`).
  const { readList, moduleOf } = await import(join(root, 'dist/test/outside/docker-py.js'));
  const readReasons = (file) => (existsSync(file) ? readList(file) : new Map());
  const out = [DPY_START, `Results of ${date} (\`node scripts/compat-report.mjs docker-py\`). Each cell: passed / failed / skipped / deselected.`];
  const explained = await readReasons(join(root, 'test/outside/docker-py/explained.txt'));
  for (const suite of DPY_SUITES) {
    const runs = {};
    for (const engine of ['berth', 'docker']) {
      const f = dpyFile(engine, suite);
      runs[engine] = existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : { tests: {}, counts: {}, seconds: 0 };
    }
    const b = runs.berth;
    const d = runs.docker;
    const known = await readReasons(join(root, `test/outside/docker-py/known-failing-berth-${suite}.txt`));
    const desc = (r) => `${r.counts.passed ?? 0} passed, ${(r.counts.failed ?? 0) + (r.counts.error ?? 0)} failed, ${r.counts.skipped ?? 0} skipped, ${r.counts.deselected ?? 0} deselected (${r.seconds} s)`;
    out.push('', `### docker-py ${suite}`, '', `Library ${b.library ?? d.library ?? '?'}, tests from ${b.testsFrom ?? d.testsFrom ?? '?'}, API ${b.apiVersion ?? d.apiVersion ?? '?'}.`, `Berth: ${desc(b)}; dockerd 20.10: ${desc(d)}.`, '', '| module | Berth | dockerd 20.10 |', '|---|---|---|');
    const modules = new Map();
    for (const [engine, r] of Object.entries(runs)) {
      for (const [id, t] of Object.entries(r.tests)) {
        const mod = moduleOf(id);
        if (!modules.has(mod)) modules.set(mod, { berth: [0, 0, 0, 0], docker: [0, 0, 0, 0] });
        const c = modules.get(mod)[engine];
        c[t.outcome === 'passed' ? 0 : failedish(t.outcome) ? 1 : t.outcome === 'skipped' ? 2 : 3]++;
      }
    }
    for (const [mod, c] of [...modules].sort(([x], [y]) => x.localeCompare(y))) out.push(`| ${mod} | ${c.berth.join(' / ')} | ${c.docker.join(' / ')} |`);
    const ids = [...new Set([...Object.keys(b.tests), ...Object.keys(d.tests)])].sort();
    const differ = ids.filter((id) => {
      const x = b.tests[id]?.outcome;
      const y = d.tests[id]?.outcome;
      return x !== y && !(failedish(x) && failedish(y));
    });
    out.push('', `Tests whose result differs (${differ.length}):`, '', '| test | Berth | dockerd 20.10 | why |', '|---|---|---|---|');
    for (const id of differ) {
      const why = explained.get(id) ?? (known.has(id) ? `known on Berth: ${known.get(id)}` : '_to explain_');
      out.push(`| \`${id.replace(/^tests\/integration\//, '')}\` | ${dpyCell(b.tests[id]?.outcome)} | ${dpyCell(d.tests[id]?.outcome)} | ${why.replace(/\|/g, '\\|')} |`);
    }
  }
  out.push(DPY_END);
  return out.join('\n');
}

async function writeDockerPySection() {
  const doc = await readFile(DOC, 'utf8');
  const from = doc.indexOf(DPY_START);
  const to = doc.indexOf(DPY_END);
  if (from < 0 || to < 0) throw new Error(`${DOC} has no ${DPY_START} … ${DPY_END} markers`);
  await writeFile(DOC, doc.slice(0, from) + (await dockerPyTable(new Date().toISOString().slice(0, 10))) + doc.slice(to + DPY_END.length));
}

async function dockerPy(saved) {
  if (!saved) for (const suite of DPY_SUITES) for (const engine of ['berth', 'docker']) await runDockerPy(engine, suite);
  await writeDockerPySection();
  console.log(`docker-py: wrote ${DOC}`);
}

const only = process.argv[2];
if (only === 'docker-py') {
  await dockerPy(process.argv[3] === '--saved');
  process.exit(0);
}
if (only && only !== '--saved') {
  const r = parseTap(await runTarget(only));
  const c = count(r);
  console.log(`${only}: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped`);
  for (const [a, cases] of r) for (const [n, s] of cases) if (s === 'FAIL') console.log(`FAIL ${a}: ${n}`);
  process.exit(c.fail > 0 ? 1 : 0);
}
const saved = (target) => readFileSync(join(root, `dist/compat-${target}.tap`), 'utf8');
const berth = parseTap(only === '--saved' ? saved('berth') : await runTarget('berth'));
const docker = parseTap(only === '--saved' ? saved('docker') : await runTarget('docker'));
const doc = await readFile(DOC, 'utf8').catch(() => `# Compatibility\n\n${START}\n${END}\n`);
const from = doc.indexOf(START);
const to = doc.indexOf(END);
if (from < 0 || to < 0) throw new Error(`${DOC} has no ${START} … ${END} markers`);
await writeFile(DOC, doc.slice(0, from) + table(berth, docker, new Date().toISOString().slice(0, 10)) + doc.slice(to + END.length));
const b = count(berth);
const d = count(docker);
console.log(`berth: ${b.pass} passed, ${b.fail} failed, ${b.skip} skipped; docker: ${d.pass} passed, ${d.fail} failed, ${d.skip} skipped; wrote ${DOC}`);
await dockerPy(only === '--saved');
