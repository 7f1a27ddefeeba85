import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { TemplateError } from './go-template.js';
import { displayWidth, formatForCli, renderTable, tabwrite } from './table.js';

// Expected outputs are what docker's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) writes.
describe('renderTable', () => {
  test('columns are as wide as their widest cell plus 3; the last column is not padded', () => {
    const out = renderTable(['CONTAINER ID', 'IMAGE', 'NAMES'], [
      ['abc123', 'nginx:latest', 'web'],
      ['def', 'redis', 'cache'],
    ]);
    assert.equal(out,
      'CONTAINER ID   IMAGE          NAMES\n'
      + 'abc123         nginx:latest   web\n'
      + 'def            redis          cache\n');
  });

  test('columns are at least 10 wide', () => {
    assert.equal(renderTable(['A', 'B'], [['x', 'y']]), 'A         B\nx         y\n');
  });

  test('empty cells are padded to the column', () => {
    assert.equal(renderTable(['A', 'B', 'C'], [['', 'b', 'c']]), 'A         B         C\n          b         c\n');
  });

  test('wide characters take two columns', () => {
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(renderTable(['NAME', 'X'], [['日本語', '1'], ['abcdefghij', '2']]),
      'NAME         X\n日本語       1\nabcdefghij   2\n');
  });

  test('a header with no rows', () => {
    assert.equal(renderTable(['CONTAINER ID', 'IMAGE'], []), 'CONTAINER ID   IMAGE\n');
  });
});

describe('tabwrite', () => {
  test('columns only span consecutive lines that have them', () => {
    assert.equal(tabwrite('aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n'),
      'aaaa      bbb       d\n'
      + 'aa        b         dd\n'
      + 'a         \n'
      + 'aa        cccc      eee\n');
  });

  test('a line without tabs ends a column block', () => {
    assert.equal(tabwrite('a\tb\nlong line here\nccccccccccccc\td\n'),
      'a         b\nlong line here\nccccccccccccc   d\n');
  });

  test('text without a final newline keeps its last line', () => {
    assert.equal(tabwrite('a\tb\nc\td'), 'a         b\nc         d');
  });
});

describe('formatForCli', () => {
  const defaultFormat = 'table {{.ID}}\t{{.Image}}\t{{.Status}}';
  const headers = { ID: 'CONTAINER ID', Image: 'IMAGE', Status: 'STATUS' };
  const rows = [
    { ID: 'abc123', Image: 'nginx', Status: 'Up 2 minutes' },
    { ID: 'def456', Image: 'redis:7', Status: 'Exited (0)' },
  ];
  const defaultTable =
    'CONTAINER ID   IMAGE     STATUS\n'
    + 'abc123         nginx     Up 2 minutes\n'
    + 'def456         redis:7   Exited (0)\n';

  test('no format means the default table', () => {
    assert.equal(formatForCli(undefined, defaultFormat, rows, headers), defaultTable);
    assert.equal(formatForCli('', defaultFormat, rows, headers), defaultTable);
  });

  test('"table" alone means the default table', () => {
    assert.equal(formatForCli('table', defaultFormat, rows, headers), defaultTable);
  });

  test('a default format without the table prefix still renders a table', () => {
    assert.equal(formatForCli(undefined, '{{.ID}}\t{{.Image}}\t{{.Status}}', rows, headers), defaultTable);
  });

  test('a custom table with literal \\t escapes', () => {
    assert.equal(formatForCli('table {{.ID}}\\t{{.Status}}', defaultFormat, rows, headers),
      'CONTAINER ID   STATUS\nabc123         Up 2 minutes\ndef456         Exited (0)\n');
  });

  test('a table with no rows prints its header', () => {
    assert.equal(formatForCli(undefined, defaultFormat, [], headers), 'CONTAINER ID   IMAGE     STATUS\n');
  });

  test('a plain template prints one unaligned line per row', () => {
    assert.equal(formatForCli('{{.ID}}: {{.Status}}', defaultFormat, rows, headers),
      'abc123: Up 2 minutes\ndef456: Exited (0)\n');
    assert.equal(formatForCli('{{.ID}}\\t{{.Image}}', defaultFormat, rows, headers), 'abc123\tnginx\ndef456\tredis:7\n');
  });

  test('surrounding spaces are trimmed', () => {
    assert.equal(formatForCli('  {{.ID}}  ', defaultFormat, rows, headers), 'abc123\ndef456\n');
  });

  test('no rows and a plain template print nothing', () => {
    assert.equal(formatForCli('{{.ID}}', defaultFormat, [], headers), '');
  });

  test('json prints each row as JSON with sorted keys', () => {
    assert.equal(formatForCli('json', defaultFormat, rows, headers),
      '{"ID":"abc123","Image":"nginx","Status":"Up 2 minutes"}\n'
      + '{"ID":"def456","Image":"redis:7","Status":"Exited (0)"}\n');
  });

  test('header cells ignore lower/truncate but keep pad', () => {
    assert.equal(formatForCli('table {{lower .Image}}\t{{truncate .ID 3}}', defaultFormat, rows, headers),
      'IMAGE     CONTAINER ID\nnginx     abc\nredis:7   def\n');
    assert.equal(formatForCli('table {{pad .ID 1 1}}\t{{.Image}}', defaultFormat, rows, headers),
      ' CONTAINER ID    IMAGE\n abc123          nginx\n def456          redis:7\n');
  });

  test('a header the template cannot render is left blank', () => {
    assert.equal(formatForCli('table {{json .}}', defaultFormat, [{ ID: 'a' }], headers), '\n{"ID":"a"}\n');
  });

  test('fields without a header print <no value> in the header', () => {
    assert.equal(formatForCli('table {{.ID}}\t{{.Foo}}', defaultFormat, rows.slice(0, 1), headers),
      'CONTAINER ID   <no value>\nabc123         <no value>\n');
  });

  test('parse errors read as docker prints them', () => {
    assert.throws(() => formatForCli('{{.ID', defaultFormat, rows, headers), (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.equal(err.message, 'template parsing error: template: :1: unclosed action');
      return true;
    });
  });

  test('execution errors read as docker prints them', () => {
    assert.throws(() => formatForCli('table {{.ID.X}}', defaultFormat, rows, headers), {
      name: 'TemplateError',
      message: 'template parsing error: template: :1:5: executing "" at <.ID.X>: can\'t evaluate field X in type string',
    });
  });
});
