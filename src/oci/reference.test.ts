import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, formatReference, parseReference, parseReferenceWithDefaultTag } from './reference.js';

test('references normalise as docker does', () => {
  assert.equal(formatReference(parseReferenceWithDefaultTag('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(formatReference(parseReference('me/app:1.2')), 'docker.io/me/app:1.2');
  assert.equal(formatReference(parseReference('localhost:5000/x/y:t')), 'localhost:5000/x/y:t');
  assert.equal(formatReference(parseReference('localhost/x')), 'localhost/x');
  assert.equal(formatReference(parseReference('index.docker.io/library/busybox')), 'docker.io/library/busybox');
  const withDigest = parseReference(`busybox@sha256:${'a'.repeat(64)}`);
  assert.equal(withDigest.digest, `sha256:${'a'.repeat(64)}`);
  assert.equal(familiarName('docker.io/library/busybox'), 'busybox');
  assert.equal(familiarName('docker.io/me/app'), 'me/app');
  assert.equal(familiarName('quay.io/me/app'), 'quay.io/me/app');
  assert.equal(familiarString(parseReference('busybox:1')), 'busybox:1');
});

test('bad references are refused with docker messages', () => {
  assert.throws(() => parseReference('Busybox'), /repository name \(library\/Busybox\) must be lowercase/);
  assert.throws(() => parseReference('a'.repeat(64).replace(/a/g, 'f')), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseReference('busy box'), /invalid reference format/);
  assert.throws(() => parseReference('busybox:'), /invalid reference format/);
  assert.throws(() => parseReference(''), /invalid reference format/);
  assert.throws(() => parseReference('x:bad tag'), /invalid reference format/);
});
