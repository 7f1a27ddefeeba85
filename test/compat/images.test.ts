import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { compatArea, fails, lines, ok, uniq } from './compat.js';

/** Local image workflows: list, inspect, tag, remove, history, save/load, import, prune. */
compatArea('images', (t) => {
  const tagged = async (prefix: string): Promise<string> => {
    const ref = `${uniq(prefix)}:v1`;
    ok(await t().docker(['tag', 'busybox', ref]), `tag ${ref}`);
    return ref;
  };

  test('images lists busybox:latest under docker\'s header', async () => {
    const r = ok(await t().docker(['images']), 'images');
    assert.match(lines(r)[0] ?? '', /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.match(r.stdout, /^busybox\s+latest\s+[0-9a-f]{12}\s+/m);
  });

  test('images -q prints 12-hex short ids', async () => {
    const r = ok(await t().docker(['images', '-q']), 'images -q');
    assert.ok(lines(r).length >= 1);
    for (const l of lines(r)) assert.match(l, /^[0-9a-f]{12}$/);
  });

  test('images -q --no-trunc prints full sha256 ids', async () => {
    const r = ok(await t().docker(['images', '-q', '--no-trunc']), 'images');
    for (const l of lines(r)) assert.match(l, /^sha256:[0-9a-f]{64}$/);
  });

  test('images --format {{.Repository}}:{{.Tag}}', async () => {
    const r = ok(await t().docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), 'images');
    assert.ok(lines(r).includes('busybox:latest'));
  });

  test('images REPOSITORY argument narrows the list', async () => {
    const ref = await tagged('img-arg');
    const r = ok(await t().docker(['images', '--format', '{{.Repository}}:{{.Tag}}', ref.split(':')[0] as string]), 'images repo');
    assert.deepEqual(lines(r), [ref]);
  });

  test('images --filter reference= matches a glob', async () => {
    const ref = await tagged('img-ref');
    const r = ok(await t().docker(['images', '--filter', `reference=${ref.split('-')[0]}-ref-*`, '--format', '{{.Repository}}:{{.Tag}}']), 'images');
    assert.ok(lines(r).includes(ref));
    assert.ok(!lines(r).includes('busybox:latest'));
  });

  test('images --filter dangling=true lists no tagged image', async () => {
    const r = ok(await t().docker(['images', '--filter', 'dangling=true', '--format', '{{.Repository}}']), 'images');
    assert.ok(!lines(r).includes('busybox'));
  });

  test('images --filter with an unknown key fails', async () => {
    fails(await t().docker(['images', '--filter', 'nosuchkey=1']), 1, /invalid filter 'nosuchkey'/i);
  });

  test('images --format json prints one JSON object per line', async () => {
    const r = ok(await t().docker(['images', '--format', 'json']), 'images');
    const rows = lines(r).map((l) => JSON.parse(l) as { Repository: string; Tag: string; ID: string });
    const bb = rows.find((x) => x.Repository === 'busybox' && x.Tag === 'latest');
    assert.ok(bb);
    assert.match(bb.ID, /^[0-9a-f]{12}$/);
  });

  test('images --digests adds a DIGEST column', async () => {
    const r = ok(await t().docker(['images', '--digests']), 'images');
    assert.match(lines(r)[0] ?? '', /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
  });

  test('image inspect --format .Os and .Architecture', async () => {
    const r = ok(await t().docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', 'busybox']), 'inspect');
    assert.equal(r.stdout, 'linux/amd64\n');
  });

  test('image inspect --format {{json .Config.Cmd}}', async () => {
    const r = ok(await t().docker(['image', 'inspect', '--format', '{{json .Config.Cmd}}', 'busybox']), 'inspect');
    assert.equal(r.stdout.trim(), '["sh"]');
  });

  test('image inspect .Id is the sha256 of the config, .RepoTags lists the tag', async () => {
    const r = ok(await t().docker(['image', 'inspect', '--format', '{{.Id}} {{index .RepoTags 0}}', 'busybox:latest']), 'inspect');
    assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64} busybox:latest$/);
  });

  test('image inspect .RootFS.Type is layers with one layer per diff', async () => {
    const r = ok(await t().docker(['image', 'inspect', '--format', '{{.RootFS.Type}} {{len .RootFS.Layers}}', 'busybox']), 'inspect');
    assert.match(r.stdout.trim(), /^layers [1-9]\d*$/);
  });

  test('image inspect prints a JSON array by default', async () => {
    const r = ok(await t().docker(['image', 'inspect', 'busybox']), 'inspect');
    const arr = JSON.parse(r.stdout) as Array<{ Config: { Env: string[] } }>;
    assert.equal(arr.length, 1);
    assert.ok(arr[0]?.Config.Env.some((e) => e.startsWith('PATH=')));
  });

  test('image inspect of a missing image fails with No such image', async () => {
    const r = await t().docker(['image', 'inspect', 'nosuchimage:nope']);
    fails(r, 1, /No such image: nosuchimage:nope/);
    assert.equal(r.stdout.trim(), '[]');
  });

  test('inspect --type image finds the image', async () => {
    const r = ok(await t().docker(['inspect', '--type', 'image', '--format', '{{.Os}}', 'busybox']), 'inspect');
    assert.equal(r.stdout.trim(), 'linux');
  });

  test('tag gives the same image id to the new name', async () => {
    const ref = await tagged('img-tag');
    const a = ok(await t().docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox']), 'inspect').stdout;
    const b = ok(await t().docker(['image', 'inspect', '-f', '{{.Id}}', ref]), 'inspect').stdout;
    assert.equal(a, b);
  });

  test('tag of a missing image fails with No such image', async () => {
    fails(await t().docker(['tag', 'nosuchimage:nope', 'x-target:v1']), 1, /No such image: nosuchimage:nope/);
  });

  test('tag to an invalid reference fails', async () => {
    fails(await t().docker(['tag', 'busybox', 'UPPER:case']), 1, /invalid reference format/);
  });

  test('rmi of one of two tags prints Untagged and keeps the image', async () => {
    const ref = await tagged('img-rmi');
    const r = ok(await t().docker(['rmi', ref]), 'rmi');
    assert.equal(r.stdout, `Untagged: ${ref}\n`);
    ok(await t().docker(['image', 'inspect', 'busybox']), 'busybox still there');
  });

  test('rmi of a missing image fails with No such image', async () => {
    fails(await t().docker(['rmi', 'nosuchimage:nope']), 1, /No such image: nosuchimage:nope/);
  });

  test('rmi of an image a container uses is a conflict', async () => {
    const ref = await tagged('img-used');
    const name = uniq('uses-image');
    ok(await t().docker(['create', '--name', name, ref, 'true']), 'create');
    const id = ok(await t().docker(['image', 'inspect', '-f', '{{.Id}}', ref]), 'inspect').stdout.trim();
    fails(await t().docker(['rmi', id.slice(7, 19)]), 1, /conflict: unable to delete [0-9a-f]{12} \(must be forced\)|conflict: unable to delete [0-9a-f]{12} \(cannot be forced\)/);
    ok(await t().docker(['rm', name]), 'rm');
    ok(await t().docker(['rmi', ref]), 'rmi');
  });

  test('rmi by id of an image with several tags needs -f', async () => {
    const ref = await tagged('img-multi');
    const id = ok(await t().docker(['image', 'inspect', '-f', '{{.Id}}', ref]), 'inspect').stdout.trim();
    fails(await t().docker(['rmi', id.slice(7, 19)]), 1, /image is referenced in multiple repositories/);
    ok(await t().docker(['rmi', ref]), 'rmi');
  });

  test('history lists the layers with docker\'s header', async () => {
    const r = ok(await t().docker(['history', 'busybox']), 'history');
    assert.match(lines(r)[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.ok(lines(r).length >= 2);
  });

  test('history --format {{.CreatedBy}} --no-trunc', async () => {
    const r = ok(await t().docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'busybox']), 'history');
    assert.ok(lines(r).length >= 1);
    for (const l of lines(r)) assert.match(l, /\|\d+(\.\d+)?[kMG]?B$/);
  });

  test('history -q prints the image id first', async () => {
    const r = ok(await t().docker(['history', '-q', 'busybox']), 'history');
    const id = ok(await t().docker(['images', '-q', 'busybox:latest']), 'images').stdout.trim();
    assert.equal(lines(r)[0], id);
  });

  test('history of a missing image fails', async () => {
    fails(await t().docker(['history', 'nosuchimage:nope']), 1, /No such image: nosuchimage:nope/);
  });

  test('save -o and load -i round-trip a tag', async () => {
    const ref = await tagged('img-save');
    const file = join(t().scratch, 'save.tar');
    ok(await t().docker(['save', '-o', file, ref]), 'save');
    ok(await t().docker(['rmi', ref]), 'rmi');
    const r = ok(await t().docker(['load', '-i', file]), 'load');
    assert.match(r.stdout, new RegExp(`Loaded image: ${ref}`));
    ok(await t().docker(['image', 'inspect', ref]), 'inspect after load');
  });

  test('save to stdout is a tar with manifest.json', async () => {
    const file = join(t().scratch, 'stdout.tar');
    ok(await t().docker(['save', '-o', file, 'busybox']), 'save');
    const buf = await readFile(file);
    assert.ok(buf.includes(Buffer.from('manifest.json')));
  });

  test('load from stdin', async () => {
    const ref = await tagged('img-stdin');
    const file = join(t().scratch, 'stdin.tar');
    ok(await t().docker(['save', '-o', file, ref]), 'save');
    ok(await t().docker(['rmi', ref]), 'rmi');
    const r = ok(await t().docker(['load'], { input: await readFile(file) }), 'load');
    assert.match(r.stdout, new RegExp(`Loaded image: ${ref}`));
  });

  test('load -q prints only the Loaded line', async () => {
    const file = join(t().scratch, 'quiet.tar');
    ok(await t().docker(['save', '-o', file, 'busybox']), 'save');
    const r = ok(await t().docker(['load', '-q', '-i', file]), 'load');
    assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
  });

  test('load of something that is not an image archive fails', async () => {
    const file = join(t().scratch, 'garbage.tar');
    await writeFile(file, 'not a tar at all');
    const r = await t().docker(['load', '-i', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error/);
  });

  test('save of a missing image fails', async () => {
    const r = await t().docker(['save', '-o', join(t().scratch, 'none.tar'), 'nosuchimage:nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: /);
  });

  test('import with -c CMD makes a runnable image', async () => {
    const exported = join(t().scratch, 'export.tar');
    const name = uniq('exp');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    ok(await t().docker(['export', '-o', exported, name]), 'export');
    const ref = `${uniq('imported')}:v1`;
    const r = ok(await t().docker(['import', '-c', 'CMD ["echo", "imported"]', exported, ref]), 'import');
    assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    const out = ok(await t().docker(['run', '--rm', ref]), 'run imported');
    assert.equal(out.stdout, 'imported\n');
  });

  test('import from stdin with -m sets the history comment', async () => {
    const exported = join(t().scratch, 'export2.tar');
    const name = uniq('exp');
    ok(await t().docker(['create', '--name', name, 'busybox', 'true']), 'create');
    ok(await t().docker(['export', '-o', exported, name]), 'export');
    const ref = `${uniq('imported-stdin')}:v1`;
    ok(await t().docker(['import', '-m', 'from stdin', '-', ref], { input: await readFile(exported) }), 'import -');
    const h = ok(await t().docker(['history', '--format', '{{.Comment}}', ref]), 'history');
    assert.equal(lines(h)[0], 'from stdin');
  });

  test('image prune -f reports reclaimed space', async () => {
    const r = ok(await t().docker(['image', 'prune', '-f']), 'prune');
    assert.match(r.stdout, /^Total reclaimed space: /m);
  });

  // Last: it removes images the cases above made.
  test('image prune -a -f removes unused images and keeps the ones containers use', async () => {
    const base = uniq('prune-base');
    ok(await t().docker(['run', '--name', base, 'busybox', 'sh', '-c', 'echo > /unused']), 'run');
    const unused = `${uniq('img-unused')}:v1`;
    ok(await t().docker(['commit', base, unused]), 'commit');
    const usedId = ok(await t().docker(['inspect', '-f', '{{.Image}}', base]), 'inspect').stdout.trim();
    const r = ok(await t().docker(['image', 'prune', '-a', '-f']), 'prune -a');
    assert.match(r.stdout, /^Deleted Images:$/m);
    assert.match(r.stdout, /Total reclaimed space/);
    assert.equal((await t().docker(['image', 'inspect', unused])).code, 1, 'the unused image is gone');
    ok(await t().docker(['image', 'inspect', usedId]), 'the image a container uses is kept');
  });
});
