import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { compileTemplate, TemplateError } from './go-template.js';

const render = (text: string, data?: unknown): string => compileTemplate(text).execute(data);

/** Expected outputs are what Go's text/template with docker's functions prints. */
type Case = readonly [name: string, template: string, data: unknown, want: string];

function cases(list: readonly Case[]): void {
  for (const [name, template, data, want] of list) {
    test(name, () => assert.equal(render(template, data), want));
  }
}

function errors(list: readonly (readonly [name: string, template: string, data: unknown, message: string])[]): void {
  for (const [name, template, data, message] of list) {
    test(name, () => {
      assert.throws(() => render(template, data), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }
}

describe('fields and printing', () => {
  class Container {
    readonly id = 'abc';
    get Name(): string { return `n-${this.id}`; }
  }
  cases([
    ['field', '{{.Name}}', { Name: 'web' }, 'web'],
    ['nested field', '{{.State.Status}}', { State: { Status: 'running' } }, 'running'],
    ['dot string', '{{.}}', 'x', 'x'],
    ['missing key is <no value>', '{{.Missing}}', {}, '<no value>'],
    ['field of missing key is <no value>', '{{.Missing.Deeper}}', {}, '<no value>'],
    ['nil data prints <no value>', '{{.}}', undefined, '<no value>'],
    ['null prints <nil>', '{{.Health}}', { Health: null }, '<nil>'],
    ['map prints sorted', '{{.Labels}}', { Labels: { b: '2', a: '1' } }, 'map[a:1 b:2]'],
    ['slice prints with spaces', '{{.}}', [1, 'a', true, null], '[1 a true <nil>]'],
    ['nested map and slice', '{{.}}', { m: { k: [1, 2] }, e: {} }, 'map[e:map[] m:map[k:[1 2]]]'],
    ['integers print without decimals', '{{.}}', 42, '42'],
    ['floats print like %v', '{{.A}} {{.B}} {{.C}} {{.D}}', { A: 1.5, B: 2.5e-7, C: 1234567.5, D: 100000.5 },
      '1.5 2.5e-07 1.2345675e+06 100000.5'],
    ['booleans', '{{.T}} {{.F}}', { T: true, F: false }, 'true false'],
    ['class getters are fields', '{{.Name}}', new Container(), 'n-abc'],
    ['inherited Object members are missing keys', '{{.constructor}}', {}, '<no value>'],
    ['function properties are methods', '{{.Label "k"}}', { Label: (k: string) => `v:${k}` }, 'v:k'],
    ['literals', '{{"a\\tb"}}|{{`a\\tb`}}|{{\'a\'}}|{{0x1F}}|{{1e3}}|{{-2}}|{{1_000}}|{{true}}', null,
      'a\tb|a\\tb|97|31|1000|-2|1000|true'],
  ]);
});

describe('actions', () => {
  cases([
    ['range over slice', '{{range .}}{{.}},{{end}}', [1, 2], '1,2,'],
    ['range with index and element', '{{range $i, $e := .}}{{$i}}:{{$e}} {{end}}', ['a', 'b'], '0:a 1:b '],
    ['range over map visits sorted keys', '{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', { b: 2, a: 1 }, 'a=1;b=2;'],
    ['range else on empty', '{{range .}}x{{else}}none{{end}}', [], 'none'],
    ['range over missing runs else', '{{range .Items}}x{{else}}none{{end}}', {}, 'none'],
    ['range over an integer', '{{range 3}}{{.}}{{end}}', null, '012'],
    ['break and continue', '{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}',
      [1, 2, 3, 4, 5], '13'],
    ['if / else if / else', '{{if .A}}a{{else if .B}}b{{else}}c{{end}}', { B: 1 }, 'b'],
    ['with sets dot', '{{with .A}}[{{.}}]{{end}}', { A: 'hi' }, '[hi]'],
    ['with else on empty value', '{{with .A}}{{.}}{{else}}none{{end}}', { A: '' }, 'none'],
    ['trim markers', 'a  {{- .X -}}  b\n{{- " c" }}', { X: 'x' }, 'axb c'],
    ['minus without space is a number', '{{-3}}', null, '-3'],
    ['comments', 'a{{/* note */}}b {{- /* trimmed */ -}} c', null, 'abc'],
    ['variables and $', '{{$x := .A}}{{$x}}-{{$.B}}{{range .L}}{{$.B}}{{end}}', { A: 1, B: 'b', L: [0, 0] }, '1-bbb'],
    ['assignment updates an outer variable', '{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', null, '2'],
    ['pipelines pass the last argument', '{{.Name | printf "%s!" | upper}}', { Name: 'web' }, 'WEB!'],
    ['parenthesized pipelines and chains', '{{len (index . 0).Names}} {{(index . 0).Names}}', [{ Names: ['a', 'b'] }],
      '2 [a b]'],
    ['define and template', '{{define "row"}}<{{.}}>{{end}}{{range .}}{{template "row" .}}{{end}}', [1, 2], '<1><2>'],
    ['block', '{{block "b" .}}[{{.}}]{{end}}', 'x', '[x]'],
  ]);
});

describe('truth and comparison', () => {
  for (const empty of ['', 0, false, [], {}, null, undefined]) {
    test(`${JSON.stringify(empty) ?? 'undefined'} is false`, () => {
      assert.equal(render('{{if .E}}t{{else}}f{{end}}', { E: empty }), 'f');
    });
  }
  for (const full of ['a', 1, -0.5, true, [0], { k: 0 }]) {
    test(`${JSON.stringify(full)} is true`, () => assert.equal(render('{{if .E}}t{{else}}f{{end}}', { E: full }), 't'));
  }
  cases([
    ['eq with several candidates', '{{eq .A "x"}} {{eq 1 2 3 1}} {{ne 1 2}}', { A: 'x' }, 'true true true'],
    ['ordering', '{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}', null, 'true true true false'],
    ['eq against nil', '{{eq .A nil}} {{eq .Missing nil}} {{eq .S nil}}', { A: null, S: 's' }, 'true true false'],
    ['and/or return an operand', '[{{and 1 "" 3}}] [{{and 1 2}}] [{{or 0 "" "x"}}] [{{or 0 ""}}] {{not .A}}', { A: 0 },
      '[] [2] [x] [] true'],
    ['and short-circuits', '{{and .A .A.B}}', { A: null }, '<nil>'],
  ]);
});

describe('functions', () => {
  cases([
    ['len counts bytes, items and keys', '{{len .S}} {{len .L}} {{len .M}}', { S: 'héllo', L: [1, 2], M: { a: 1 } }, '6 2 1'],
    ['index', '{{index .M "k"}} {{index .L 1}} {{index "abc" 1}} {{index .N 0 1}}',
      { M: { k: 'v' }, L: ['a', 'b'], N: [[1, 2]] }, 'v b 98 2'],
    ['index of a missing label is empty', '[{{index .Labels "x"}}] [{{index .Labels "y"}}]', { Labels: { x: 'X' } }, '[X] []'],
    ['slice', '{{slice .L 1 3}} {{slice "hello" 1 3}}', { L: [1, 2, 3, 4] }, '[2 3] el'],
    ['printf widths and flags', '{{printf "%-5s|%5s|%5d|%-4d|%03d|%+d|%x|%X|%o|%c" "ab" "cd" 42 7 5 5 255 "hi" 8 65}}', null,
      'ab   |   cd|   42|7   |005|+5|ff|6869|10|A'],
    ['printf %q and %t and %v', '{{printf "%q %t %v %v" "a\\"b\\n" true .M .L}}', { M: { a: 1 }, L: ['x'] },
      '"a\\"b\\n" true map[a:1] [x]'],
    ['printf floats round half to even', '{{printf "%.2f %.0f %.0f %6.2f| %e %g %g" 0.125 2.5 3.5 3.14159 1234.5678 0.000012 1e5}}',
      null, '0.12 2 4   3.14| 1.234568e+03 1.2e-05 100000'],
    ['printf misuse is reported inline', '{{printf "%d|%s %s|%s" "x" "a"}}', null, '%!d(string=x)|a %!s(MISSING)|%!s(MISSING)'],
    ['printf extra arguments', '{{printf "%s" "a" 2 .Missing}}', {}, 'a%!(EXTRA int=2, <nil>)'],
    ['printf nil and percent', '{{printf "%s|%d%%" .Missing 50}}', {}, '%!s(<nil>)|50%'],
    ['printf applies verbs to elements', '{{printf "%d" .L}}', { L: [1, 'x'] }, '[1 %!d(string=x)]'],
    ['print spaces only between non-strings', '{{print 1 2 "a" "b" 3}}', null, '1 2ab3'],
    ['println separates and ends with newline', '{{println "a" 1}}', null, 'a 1\n'],
    ['json', '{{json .}}', { b: [1, 2.5], a: '<x>&', n: null }, '{"a":"<x>&","b":[1,2.5],"n":null}'],
    ['json of strings and missing', '{{json "a\\nb\\u0001"}} {{json .Missing}} {{json .L}}', { L: [] },
      '"a\\nb\\u0001" null []'],
    ['join and split', '{{join .Names ", "}}|{{split "a,b,c" ","}}|{{index (split "k=v" "=") 1}}', { Names: ['x', 'y'] },
      'x, y|[a b c]|v'],
    ['title, lower, upper', '{{title "hello world-foo bar_baz"}} {{lower "MiXed"}} {{upper "straße"}}', null,
      'Hello World-Foo Bar_baz mixed STRAßE'],
    ['pad only pads non-empty strings', '[{{pad "x" 1 2}}] [{{pad "" 1 2}}]', null, '[ x  ] []'],
    ['truncate', '{{truncate "abcdef" 3}} {{truncate "ab" 5}}', null, 'abc ab'],
    ['html, js, urlquery', '{{html "<a href=\'x\'>"}} {{js "it\'s"}} {{urlquery "a b&c"}}', null,
      '&lt;a href=&#39;x&#39;&gt; it\\\'s a+b%26c'],
  ]);
});

describe('parse errors', () => {
  errors([
    ['unclosed brace', '{{.Foo}', {}, "template: :1: bad character U+007D '}'"],
    ['unclosed action', '{{.Foo', {}, 'template: :1: unclosed action'],
    ['lone brace after a space', '{{.Foo }', {}, 'template: :1: unexpected "}" in operand'],
    ['action left open across lines', '{{.B\n', {}, 'template: :2: unclosed action started at :1'],
    ['unknown function', '{{foo .}}', {}, 'template: :1: function "foo" not defined'],
    ['missing end', '{{if .A}}x', {}, 'template: :1: unexpected EOF'],
    ['stray end', '{{end}}', {}, 'template: :1: unexpected {{end}}'],
    ['stray else', 'a{{else}}', {}, 'template: :1: unexpected {{else}}'],
    ['empty action', '{{}}', {}, 'template: :1: missing value for command'],
    ['empty if', '{{if}}{{end}}', {}, 'template: :1: missing value for if'],
    ['undefined variable', '{{$x}}', {}, 'template: :1: undefined variable "$x"'],
    ['literal in a pipeline', '{{.A | "b"}}', {}, 'template: :1: non executable command in pipeline stage 2'],
    ['unterminated string', '{{"abc}}', {}, 'template: :1: unterminated quoted string'],
    ['unclosed paren', '{{(.A}}', {}, 'template: :1: unclosed left paren'],
    ['unexpected paren', '{{.A)}}', {}, 'template: :1: unexpected right paren'],
    ['unexpected character', '{{.A ^ .B}}', {}, 'template: :1: unexpected "^" in operand'],
    ['break outside range', '{{break}}', {}, 'template: :1: {{break}} outside {{range}}'],
    ['error on a later line', 'a\nb\n{{.X}\n', {}, "template: :3: bad character U+007D '}'"],
    ['too many range variables', '{{range $i, $e, $f := .}}{{end}}', {}, 'template: :1: too many declarations in range'],
  ]);
});

describe('execution errors', () => {
  errors([
    ['field of null', '{{.A.B}}', { A: null }, 'template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B'],
    ['field of a string', 'x\n {{.A.B}}', { A: 's' }, 'template: :2:5: executing "" at <.A.B>: can\'t evaluate field B in type string'],
    ['index out of range', '{{index . 3}}', [1], 'template: :1:2: executing "" at <index . 3>: error calling index: index out of range: 3'],
    ['incompatible comparison', '{{eq .A 1}}', { A: 'x' },
      'template: :1:2: executing "" at <eq .A 1>: error calling eq: incompatible types for comparison: string and int'],
    ['bool ordering', '{{lt true false}}', {}, 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison'],
    ['literal of the wrong type', '{{upper 3}}', {}, 'template: :1:8: executing "" at <3>: expected string; found 3'],
    ['value of the wrong type', '{{truncate .S .S}}', { S: 'x' },
      'template: :1:14: executing "" at <.S>: wrong type for value; expected int; got string'],
    ['missing value for a string parameter', '{{upper .Missing}}', {},
      'template: :1:8: executing "" at <.Missing>: invalid value; expected string'],
    ['slice parameters take no literals', '{{.Names | join ","}}', { Names: ['a'] },
      'template: :1:16: executing "" at <",">: can\'t handle "," for arg of type []string'],
    ['len of a number', '{{len 3}}', {}, 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
    ['nil command', '{{nil}}', {}, 'template: :1:2: executing "" at <nil>: nil is not a command'],
    ['argument to a non-function', '{{3 4}}', {}, 'template: :1:2: executing "" at <3>: can\'t give argument to non-function 3'],
    ['arguments to a field', '{{.Name 1}}', { Name: 'x' }, 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'],
    ['wrong number of args', '{{printf}}', {}, 'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0'],
    ['undefined template', '{{template "x"}}', {}, 'template: :1:11: executing "" at <{{template "x"}}>: template "x" not defined'],
    ['range over a string', '{{range .}}{{end}}', 'str', 'template: :1:8: executing "" at <.>: range can\'t iterate over str'],
    ['error inside a defined template', '{{define "t"}}{{.A.B}}{{end}}{{template "t" .}}', { A: 1 },
      'template: :1:18: executing "t" at <.A.B>: can\'t evaluate field B in type int'],
  ]);

  test('errors keep the output written before them', () => {
    assert.throws(() => render('ab{{.A.B}}', { A: null }), (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.equal(err.partialOutput, 'ab');
      return true;
    });
  });

  test('method errors are reported as call errors', () => {
    const data = { Boom: (): never => { throw new Error('kaput'); } };
    assert.throws(() => render('{{.Boom}}', data), {
      name: 'TemplateError',
      message: 'template: :1:2: executing "" at <.Boom>: error calling Boom: kaput',
    });
  });
});

describe('Template', () => {
  test('a compiled template runs many times', () => {
    const t = compileTemplate('{{.ID}}');
    assert.equal(t.execute({ ID: 'a' }), 'a');
    assert.equal(t.execute({ ID: 'b' }), 'b');
    assert.equal(t.text, '{{.ID}}');
  });

  test('header mode leaves column names as they are', () => {
    const t = compileTemplate('{{lower .Image}}|{{truncate .ID 3}}|{{json .Names}}|{{pad .ID 1 0}}');
    const header = { Image: 'IMAGE', ID: 'CONTAINER ID', Names: 'NAMES' };
    assert.equal(t.executeHeader(header), 'IMAGE|CONTAINER ID|NAMES| CONTAINER ID');
    assert.equal(t.execute({ Image: 'NGINX', ID: 'abcdef', Names: 'web' }), 'nginx|abc|"web"| abcdef');
  });
});
