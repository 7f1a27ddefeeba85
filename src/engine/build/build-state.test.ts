import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupStages } from '../../oci/dockerfile/instructions.js';
import { parseDockerfile } from '../../oci/dockerfile/parser.js';
import { processWord } from '../../oci/dockerfile/shell-lex.js';
import { applyMetadata, StageState } from './build-state.js';

/**
 * Runs the metadata instructions of a one-stage Dockerfile (no RUN/COPY) the way the builder
 * does, and returns the final env, labels and the args RUN would see.
 */
function evaluate(text: string, buildArgs: Record<string, string | null> = {}): { env: string[]; runArgs: string[]; history: string[]; comments: string[] } {
  const df = groupStages(parseDockerfile(text).nodes);
  const meta = new Map<string, string | undefined>();
  for (const ins of df.metaArgs) {
    for (const w of ins.node.next) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      const given = buildArgs[name];
      meta.set(name, given !== undefined && given !== null ? given : eq < 0 ? undefined : processWord(w.slice(eq + 1), (n) => meta.get(n)));
    }
  }
  const state = new StageState('\\', new Map(Object.entries(buildArgs)), new Set(), null, null);
  const comments: string[] = [];
  for (const ins of df.stages[0]?.commands ?? []) comments.push(applyMetadata(state, ins, meta));
  return { env: (state.runConfig.Env ?? []).slice(1), runArgs: state.runArgs(), history: state.historyArgs(), comments };
}

/** The ARG and ENV rules of Docker's Dockerfile reference, one row each. */
const CASES: Array<{ what: string; dockerfile: string; args?: Record<string, string | null>; env?: string[]; runArgs?: string[]; history?: string[] }> = [
  { what: 'ENV references an earlier ENV', dockerfile: 'FROM x\nENV A=1\nENV B=${A}2\n', env: ['A=1', 'B=12'] },
  { what: 'variables in one ENV line use the values from before that line', dockerfile: 'FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n', env: ['abc=bye', 'def=hello', 'ghi=bye'] },
  { what: 'an ARG default is used without --build-arg', dockerfile: 'FROM x\nARG user=someuser\nENV U=$user\n', env: ['U=someuser'], runArgs: ['user=someuser'] },
  { what: '--build-arg overrides the default', dockerfile: 'FROM x\nARG user=someuser\nENV U=$user\n', args: { user: 'what_user' }, env: ['U=what_user'] },
  { what: 'an ARG used before it is declared is empty', dockerfile: 'FROM x\nENV U=${username:-some_user}\nARG username\nENV V=${username:-some_user}\n', args: { username: 'what_user' }, env: ['U=some_user', 'V=what_user'] },
  { what: 'ENV overrides an ARG of the same name', dockerfile: 'FROM x\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nENV R=$CONT_IMG_VER\n', args: { CONT_IMG_VER: 'v2.0.1' }, env: ['CONT_IMG_VER=v1.0.0', 'R=v1.0.0'], runArgs: [] },
  { what: 'ENV with an ARG fallback (the documented pattern)', dockerfile: 'FROM x\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n', args: { CONT_IMG_VER: 'v2.0.1' }, env: ['CONT_IMG_VER=v2.0.1'] },
  { what: 'the same, without the build arg', dockerfile: 'FROM x\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n', env: ['CONT_IMG_VER=v1.0.0'] },
  { what: 'an ARG before FROM is out of scope in the stage', dockerfile: 'ARG VERSION=latest\nFROM x\nENV V=${VERSION:-none}\n', env: ['V=none'] },
  { what: 'redeclaring it without a value brings the default in', dockerfile: 'ARG VERSION=latest\nFROM x\nARG VERSION\nENV V=$VERSION\n', env: ['V=latest'], history: ['VERSION=latest'] },
  { what: 'a declared ARG without value or --build-arg is not set', dockerfile: 'FROM x\nARG NOVALUE\nENV N=${NOVALUE-unset}\n', env: ['N=unset'], runArgs: [] },
  { what: 'an empty --build-arg value is set', dockerfile: 'FROM x\nARG E=default\nENV N=[${E-unset}]\n', args: { E: '' }, env: ['N=[]'] },
  { what: '--build-arg without a value (null) keeps the default', dockerfile: 'FROM x\nARG E=default\nENV N=$E\n', args: { E: null }, env: ['N=default'] },
  { what: 'proxy args reach RUN without ARG but stay out of history', dockerfile: 'FROM x\nARG A=1\n', args: { HTTP_PROXY: 'http://p:3128' }, runArgs: ['A=1', 'HTTP_PROXY=http://p:3128'], history: ['A=1'] },
  { what: 'escaped dollars stay literal', dockerfile: 'FROM x\nENV A=1\nENV B=\\$A C="\\$A" D=\'$A\'\n', env: ['A=1', 'B=$A', 'C=$A', 'D=$A'] },
];

describe('ARG and ENV scope (docker documentation table)', () => {
  for (const c of CASES) {
    test(c.what, () => {
      const r = evaluate(c.dockerfile, c.args);
      if (c.env) assert.deepEqual(r.env, c.env);
      if (c.runArgs) assert.deepEqual(r.runArgs, c.runArgs);
      if (c.history) assert.deepEqual(r.history, c.history);
    });
  }

  test('history comments as docker writes them', () => {
    const r = evaluate('FROM x\nARG A=1 B\nENV X=1 Y="a b"\nLABEL k=v\nEXPOSE 8080 53/udp\nWORKDIR /a\nWORKDIR b\nCMD echo hi\nENTRYPOINT ["/e"]\nUSER u\nVOLUME /v /w\nSTOPSIGNAL 9\nHEALTHCHECK --retries=3 CMD true\n');
    assert.deepEqual(r.comments, [
      'ARG A=1 B',
      'ENV X=1 Y=a b',
      'LABEL k=v',
      'EXPOSE 53/udp 8080',
      'WORKDIR /a',
      'WORKDIR /a/b',
      'CMD ["/bin/sh" "-c" "echo hi"]',
      'ENTRYPOINT ["/e"]',
      'USER u',
      'VOLUME [/v /w]',
      'STOPSIGNAL 9',
      `HEALTHCHECK &{["CMD-SHELL" "true"] "0s" "0s" "0s" '\\x03'}`,
    ]);
  });
});
