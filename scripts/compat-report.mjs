#!/usr/bin/env node
// Runs the compat suite (dist/test/compat) against Berth and against a private dockerd, and writes
// the per-case result table into docs/compatibility.md between its results markers (the text
// around them, such as the known differences, is kept). Usage (root, after `npm run build`):
//   node scripts/compat-report.mjs            both targets, then write the table
//   node scripts/compat-report.mjs berth      one target only: print its summary, keep its results
//                                            in dist/compat-berth.tap, write nothing
//   node scripts/compat-report.mjs --saved    write the table from both targets' kept results
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
    `(pending other issues); dockerd ${d.pass} passed, ${d.fail} failed, ${d.skip} skipped.`,
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

const only = process.argv[2];
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
