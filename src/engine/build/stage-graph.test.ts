import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupStages } from '../../oci/dockerfile/instructions.js';
import { parseDockerfile } from '../../oci/dockerfile/parser.js';
import { reachableStages } from './stage-graph.js';

const stages = (text: string) => groupStages(parseDockerfile(text).nodes).stages;
const noExpand = (w: string): string => w;

describe('stages the target needs', () => {
  test('FROM a stage and COPY --from by name or index; unused stages left out', () => {
    const s = stages('FROM busybox AS a\nFROM busybox AS unused\nFROM a AS b\nFROM busybox\nCOPY --from=b /x /x\nCOPY --from=0 /y /y\n');
    assert.deepEqual([...reachableStages(s, noExpand)].sort(), [0, 2, 3]);
  });

  test('a --from set by an ARG needs every earlier stage', () => {
    const s = stages('FROM busybox AS a\nFROM busybox AS b\nFROM busybox\nARG SRC=a\nCOPY --from=$SRC /x /x\n');
    assert.deepEqual([...reachableStages(s, noExpand)].sort(), [0, 1, 2]);
  });

  test('a FROM image named like no stage needs nothing else', () => {
    const s = stages('FROM busybox AS a\nRUN true\nFROM alpine\n');
    assert.deepEqual([...reachableStages(s, noExpand)], [1]);
  });
});
