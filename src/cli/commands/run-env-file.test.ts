import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kvToMap, parseKeyValueLines, readEnv, readLabels, validateEnv } from './run-env-file.js';

const hostEnv = (k: string): string | undefined => ({ HOME: '/root', EMPTY: '' } as Record<string, string>)[k];

test('env file: KEY=VAL lines, comments, blank lines, values kept verbatim', () => {
  const content = '# comment\nA=1\n\n  B=two words \nC="quoted"\nD=\n   # indented comment\nE=x=y\n';
  assert.deepEqual(parseKeyValueLines(content, 'f', hostEnv), ['A=1', 'B=two words ', 'C="quoted"', 'D=', 'E=x=y']);
});

test('env file: a bare KEY takes the host value, or is dropped when unset', () => {
  assert.deepEqual(parseKeyValueLines('HOME\nNOPE\nEMPTY\n', 'f', hostEnv), ['HOME=/root', 'EMPTY=']);
});

test('env file: CRLF line ends and a UTF-8 BOM', () => {
  assert.deepEqual(parseKeyValueLines('\uFEFFA=1\r\nB=2\r\n', 'f', hostEnv), ['A=1', 'B=2']);
});

test('env file: whitespace in a key or an empty key is refused', () => {
  assert.throws(() => parseKeyValueLines('MY VAR=1', 'f', hostEnv), /variable 'MY VAR' contains whitespaces/);
  assert.throws(() => parseKeyValueLines('=1', 'f', hostEnv), /no variable name on line '=1'/);
});

test('-e: KEY=VAL as is, bare KEY from the host or dropped, empty key refused', () => {
  assert.equal(validateEnv('A=1', hostEnv), 'A=1');
  assert.equal(validateEnv('A=', hostEnv), 'A=');
  assert.equal(validateEnv('HOME', hostEnv), 'HOME=/root');
  assert.equal(validateEnv('NOPE', hostEnv), undefined);
  assert.throws(() => validateEnv('=x', hostEnv), /invalid environment variable: =x/);
});

test('readEnv: files first, then -e flags; a missing file is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-env-'));
  try {
    writeFileSync(join(dir, 'a.env'), 'A=file\nB=file\n');
    assert.deepEqual(readEnv([join(dir, 'a.env')], ['B=flag', 'HOME'], hostEnv), ['A=file', 'B=file', 'B=flag', 'HOME=/root']);
    assert.throws(() => readEnv([join(dir, 'missing.env')], [], hostEnv), /no such file or directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('labels: label files then -l; a bare -l key has an empty value; bare keys in files are dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-labels-'));
  try {
    writeFileSync(join(dir, 'l'), 'a=1\nbare\n');
    assert.deepEqual(readLabels([join(dir, 'l')], ['b=2', 'flag', 'a=3']), { a: '3', b: '2', flag: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(kvToMap(['x=1=2', 'y']), { x: '1=2', y: '' });
});
