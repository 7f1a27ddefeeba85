import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dumpNode, parseDockerfile } from '../../src/oci/dockerfile/parser.js';
import { groupStages } from '../../src/oci/dockerfile/instructions.js';

/**
 * Real-world-style Dockerfiles (test/fixtures/dockerfiles/*.Dockerfile) and, beside each, the
 * instruction list Docker's parser gives for it, written by hand from Docker's documentation in
 * the form of BuildKit's `Node.Dump` (one instruction a line: name, ["flags"], "arguments").
 */
const DIR = resolve(import.meta.dirname, '../../../test/fixtures/dockerfiles');
const names = readdirSync(DIR).filter((f) => f.endsWith('.Dockerfile')).sort();

describe('Dockerfile corpus', () => {
  test('holds at least 30 Dockerfiles', () => assert.ok(names.length >= 30, `${names.length} files`));
  for (const name of names) {
    test(name, () => {
      const text = readFileSync(join(DIR, name), 'utf8');
      const expected = readFileSync(join(DIR, name.replace(/\.Dockerfile$/, '.expected')), 'utf8').trimEnd().split('\n');
      const parsed = parseDockerfile(text);
      assert.deepEqual(parsed.nodes.map(dumpNode), expected);
      // Every file is also a valid Dockerfile: known instructions, valid flags and argument counts.
      const { stages } = groupStages(parsed.nodes);
      assert.ok(stages.length >= 1);
    });
  }
});
