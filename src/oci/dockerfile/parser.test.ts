import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpNode, parseDockerfile } from './parser.js';
import { DockerfileError, groupStages } from './instructions.js';

const dump = (text: string): string[] => parseDockerfile(text).nodes.map(dumpNode);

describe('Dockerfile parser', () => {
  test('shell and exec forms, comments and continuations', () => {
    assert.deepEqual(
      dump('# a comment\nFROM busybox\nRUN echo a \\\n  && echo b\nCMD ["sh", "-c", "echo"]\nCMD [not json\nENTRYPOINT []\n'),
      ['from "busybox"', 'run "echo a   && echo b"', 'cmd "sh" "-c" "echo"', 'cmd "[not json"', 'entrypoint'],
    );
  });

  test('comment lines and empty lines inside a continuation are dropped, with a warning for the empty one', () => {
    const r = parseDockerfile('FROM x\nRUN apt-get update \\\n# a comment\n\n    && apt-get install -y curl\n');
    assert.deepEqual(r.nodes.map(dumpNode), ['from "x"', 'run "apt-get update     && apt-get install -y curl"']);
    assert.equal(r.nodes[1]?.startLine, 2);
    assert.equal(r.nodes[1]?.endLine, 5);
    assert.match(r.warnings[0] as string, /Empty continuation line/);
  });

  test('the escape directive makes the backtick the escape and continuation character', () => {
    const r = parseDockerfile('# escape=`\nFROM windows\nCOPY testfile.txt c:\\\nRUN dir c:\\ `\n  /s\n');
    assert.equal(r.escapeToken, '`');
    assert.deepEqual(r.nodes.map(dumpNode), ['from "windows"', 'copy "testfile.txt" "c:\\\\"', 'run "dir c:\\\\   /s"']);
  });

  test('directives count only at the top; syntax is kept; a repeated directive is an error', () => {
    assert.equal(parseDockerfile('# syntax=docker/dockerfile:1\nFROM x\n').syntax, 'docker/dockerfile:1');
    assert.equal(parseDockerfile('FROM x\n# escape=`\nRUN a \\\n b\n').escapeToken, '\\');
    assert.equal(parseDockerfile('# comment\n# escape=`\nFROM x\n').escapeToken, '\\');
    assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x\n'), /only one escape parser directive can be used/);
  });

  test('ENV and LABEL: key=value pairs with quotes, or the legacy single pair', () => {
    assert.deepEqual(dump('ENV A=1 B="two words" C=three\\ words\nENV LEGACY some value here\nLABEL "com.x"="y"\n'), [
      'env "A" "1" "=" "B" "\\"two words\\"" "=" "C" "three\\\\ words" "="',
      'env "LEGACY" "some value here" ""',
      'label "\\"com.x\\"" "\\"y\\"" "="',
    ]);
    assert.throws(() => parseDockerfile('ENV ONLYKEY\n'), /ENV must have two arguments/);
    assert.throws(() => parseDockerfile('ENV A=1 B\n'), /Syntax error - can't find = in "B"/);
  });

  test('builder flags are split off the arguments', () => {
    assert.deepEqual(dump('COPY --from=build --chown=1:1 /src /dst\nRUN --mount=type=cache,target=/c make\nADD --checksum=sha256:abc http://x/y /z\n'), [
      'copy ["--from=build" "--chown=1:1"] "/src" "/dst"',
      'run ["--mount=type=cache,target=/c"] "make"',
      'add ["--checksum=sha256:abc"] "http://x/y" "/z"',
    ]);
  });

  test('ONBUILD keeps its trigger as a child; HEALTHCHECK splits the type off', () => {
    assert.deepEqual(dump('ONBUILD RUN echo hi\nHEALTHCHECK --interval=5s CMD curl -f http://localhost/\nHEALTHCHECK NONE\n'), [
      'onbuild (run "echo hi")',
      'healthcheck ["--interval=5s"] "CMD" "curl -f http://localhost/"',
      'healthcheck "NONE"',
    ]);
  });

  test('heredocs: the body is read verbatim up to the delimiter, <<- strips tabs, quotes stop expansion', () => {
    const r = parseDockerfile('FROM x\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-"END" /f\n\tline $X\n\tEND\nCMD ["x"]\n');
    assert.deepEqual(r.nodes.map((n) => n.value), ['from', 'run', 'copy', 'cmd']);
    assert.deepEqual(r.nodes[1]?.heredocs, [{ name: 'EOF', expand: true, chomp: false, content: 'echo one\necho two\n' }]);
    assert.deepEqual(r.nodes[2]?.heredocs, [{ name: 'END', expand: false, chomp: true, content: 'line $X\n' }]);
    assert.equal(r.nodes[3]?.startLine, 9);
  });

  test('errors name the line as docker\'s legacy builder does: unknown instruction, missing FROM, bad arity', () => {
    const stages = (text: string): unknown => groupStages(parseDockerfile(text).nodes);
    assert.throws(() => stages('FROM x\n\nRUNN echo\n'), (e: Error) => e instanceof DockerfileError && e.message === 'dockerfile parse error line 3: unknown instruction: RUNN');
    assert.throws(() => stages('FROM x\nfoobar x\n'), { message: 'dockerfile parse error line 2: unknown instruction: FOOBAR' });
    assert.throws(() => stages('RUN echo\n'), { message: 'no build stage in current context' });
    assert.throws(() => stages('FROM a b\n'), { message: 'dockerfile parse error line 1: FROM requires either one or three arguments' });
    assert.throws(() => stages('FROM x\nCOPY onlyone\n'), { message: 'dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.' });
    assert.throws(() => stages('FROM x\nCOPY --form=a b c\n'), { message: 'dockerfile parse error line 2: Unknown flag: form' });
    assert.throws(() => stages('FROM x\nWORKDIR\n'), { message: 'dockerfile parse error line 2: WORKDIR requires exactly one argument' });
    assert.throws(() => stages('FROM x\nSHELL /bin/bash\n'), { message: 'dockerfile parse error line 2: SHELL requires the arguments to be in JSON form' });
    assert.throws(() => parseDockerfile('\n# only a comment\n'), /file with no instructions/);
    assert.throws(() => parseDockerfile('FROM x\nCMD ["a", 1]\n'), /arrays must be comprised of strings only/);
  });

  test('ARGs before FROM are meta args; FROM … AS names a stage', () => {
    const r = groupStages(parseDockerfile('ARG V=1\nFROM x:${V} AS Build\nRUN a\nFROM build\n').nodes);
    assert.equal(r.metaArgs.length, 1);
    assert.deepEqual(r.stages.map((s) => [s.base, s.name, s.commands.length]), [['x:${V}', 'build', 1], ['build', undefined, 0]]);
  });
});
