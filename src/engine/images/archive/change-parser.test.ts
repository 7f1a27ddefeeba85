import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../../core/errors.js';
import { applyChanges, parseGoDuration } from './change-parser.js';
import { processWord, splitWords, envLookup } from './shell-words.js';

describe('applyChanges', () => {
  it('turns shell-form CMD and ENTRYPOINT into /bin/sh -c, keeps JSON form', () => {
    assert.deepEqual(applyChanges({}, ['CMD echo "hi there"']).Cmd, ['/bin/sh', '-c', 'echo "hi there"']);
    assert.deepEqual(applyChanges({}, ['CMD ["/bin/echo", "a b"]']).Cmd, ['/bin/echo', 'a b']);
    assert.deepEqual(applyChanges({}, ['cmd [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
    assert.deepEqual(applyChanges({ Shell: ['/bin/bash', '-ec'] }, ['ENTRYPOINT run']).Entrypoint, ['/bin/bash', '-ec', 'run']);
  });

  it('resets an inherited CMD on ENTRYPOINT unless the changes set one', () => {
    assert.equal(applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["/e"]']).Cmd, null);
    assert.deepEqual(applyChanges({ Cmd: ['old'] }, ['CMD ["new"]', 'ENTRYPOINT ["/e"]']).Cmd, ['new']);
  });

  it('parses ENV in both forms, replacing existing keys and expanding earlier values', () => {
    const c = applyChanges({ Env: ['PATH=/bin', 'A=1'] }, ['ENV A=2 B="two words" C=$PATH:/x', 'ENV LEGACY value with  spaces', 'ENV D=${A}-${MISSING:-def}']);
    assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=two words', 'C=/bin:/x', 'LEGACY=value with  spaces', 'D=2-def']);
  });

  it('expands with the environment from before the instruction', () => {
    assert.deepEqual(applyChanges({ Env: ['X=old'] }, ['ENV X=new Y=$X']).Env, ['X=new', 'Y=old']);
  });

  it('parses LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD', () => {
    const c = applyChanges({ WorkingDir: '/app' }, [
      'LABEL a=b "c d"="e f"',
      'LABEL legacy some value',
      'EXPOSE 80 443/udp 8000-8002',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache /tmp/x',
      'USER nobody:nogroup',
      'WORKDIR sub/dir/',
      'STOPSIGNAL SIGKILL',
      'ONBUILD RUN echo hello',
    ]);
    assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e f', legacy: 'some value' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '443/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/logs', '/cache', '/tmp/x']);
    assert.equal(c.User, 'nobody:nogroup');
    assert.equal(c.WorkingDir, '/app/sub/dir');
    assert.equal(c.StopSignal, 'SIGKILL');
    assert.deepEqual(c.OnBuild, ['RUN echo hello']);
  });

  it('parses HEALTHCHECK with flags, NONE and both command forms', () => {
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f http://x/']).Healthcheck, {
      Test: ['CMD-SHELL', 'curl -f http://x/'],
      Interval: 90e9,
      Timeout: 500e6,
      Retries: 3,
    });
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK CMD ["/check"]']).Healthcheck, { Test: ['CMD', '/check'] });
    assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  });

  it('joins continuation lines and skips comments', () => {
    const c = applyChanges({}, ['# a comment\nENV A=1 \\\n  B=2', 'USER me']);
    assert.deepEqual(c.Env, ['A=1', 'B=2']);
    assert.equal(c.User, 'me');
  });

  it('does not modify the base config', () => {
    const base = { Env: ['A=1'], Labels: { x: 'y' } };
    applyChanges(base, ['ENV A=2', 'LABEL x=z']);
    assert.deepEqual(base, { Env: ['A=1'], Labels: { x: 'y' } });
  });

  it('refuses instructions docker does not allow, before applying any', () => {
    assert.throws(() => applyChanges({}, ['ENV A=1', 'RUN echo']), (e: unknown) => {
      assert.ok(e instanceof InvalidParameterError);
      assert.equal(e.message, 'dockerfile instruction "RUN" is not allowed in --change');
      return true;
    });
    for (const bad of ['FROM x', 'COPY a b', 'ADD a b', 'ARG x', 'SHELL ["a"]', 'MAINTAINER me']) {
      assert.throws(() => applyChanges({}, [bad]), InvalidParameterError, bad);
    }
  });

  it('rejects malformed arguments', () => {
    for (const bad of ['ENV', 'ENV A=1 B', 'ENV lonely', 'EXPOSE 70000', 'EXPOSE abc', 'EXPOSE 80/icmp', 'VOLUME [""]', 'STOPSIGNAL "x y"',
      'ONBUILD ONBUILD RUN x', 'ONBUILD FROM x', 'HEALTHCHECK --bogus=1 CMD x', 'HEALTHCHECK --interval=5 CMD x', 'HEALTHCHECK CMD', 'HEALTHCHECK RUN x',
      'HEALTHCHECK --retries=2 NONE', "ENV A='open"]) {
      assert.throws(() => applyChanges({}, [bad]), InvalidParameterError, bad);
    }
  });
});

describe('shell words', () => {
  it('splits on unquoted whitespace and keeps quotes for processing', () => {
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', '"b c"', "'d e'", 'f\\ g']);
  });

  it('removes quotes, applies escapes and expands variables outside single quotes', () => {
    const env = envLookup(['HOME=/root', 'EMPTY=']);
    assert.equal(processWord(`"$HOME/x" '$HOME' \\$HOME`, env), `/root/x $HOME $HOME`);
    assert.equal(processWord('${EMPTY:-d}|${EMPTY-d}|${HOME:+set}|${NOPE+set}|$', env), 'd||set||$');
  });
});

describe('parseGoDuration', () => {
  it('parses compound durations to nanoseconds', () => {
    assert.equal(parseGoDuration('1h2m3s'), 3723e9);
    assert.equal(parseGoDuration('1.5s'), 1.5e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.throws(() => parseGoDuration('5'), InvalidParameterError);
  });
});
