import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate } from '../format/go-template.js';
import { imageRows } from './image-list.js';

test('image rows: one per tag, <none> for untagged, and {{json .}} escaped as Go does', () => {
  const rows = imageRows(
    [
      { Id: `sha256:${'a'.repeat(64)}`, RepoTags: ['busybox:latest', 'b:1'], RepoDigests: [], Created: 0, Size: 1234, SharedSize: -1, Containers: -1 },
      { Id: `sha256:${'b'.repeat(64)}`, RepoTags: [], RepoDigests: [], Created: 0, Size: 0, SharedSize: -1, Containers: 2 },
    ],
    { noTrunc: false, digests: false },
  );
  assert.deepEqual(rows.map((r) => `${r.Repository}:${r.Tag} ${r.ID}`), [`busybox:latest ${'a'.repeat(12)}`, `b:1 ${'a'.repeat(12)}`, `<none>:<none> ${'b'.repeat(12)}`]);
  const json = compileTemplate('{{json .}}').execute(rows[2]);
  assert.match(json, /"Digest":"\\u003cnone\\u003e"/);
  assert.match(json, /^\{"Containers":"2","CreatedAt":/);
  assert.equal(compileTemplate('{{.Size}}').execute(rows[0]), '1.23kB');
});
