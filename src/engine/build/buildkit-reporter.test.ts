import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupStages } from '../../oci/dockerfile/instructions.js';
import { parseDockerfile } from '../../oci/dockerfile/parser.js';
import type { BuildPlan } from './build-reporter.js';
import { BuildkitReporter, buildkitMessage } from './buildkit-reporter.js';
import { RunFailedError } from './run-failed-error.js';
import type { BuildProgress } from './solve-types.js';

/** A progress sink that records what a vertex went through. */
function recorder(): { progress: BuildProgress; events: string[] } {
  const events: string[] = [];
  let n = 0;
  const progress: BuildProgress = {
    vertex(name) {
      events.push(`start ${name}`);
      return {
        digest: `sha256:${++n}`,
        log: (d) => events.push(`log ${String(d)}`),
        status: (id) => events.push(`status ${id}`),
        cached: () => events.push(`cached ${name}`),
        done: (err) => events.push(err ? `error ${name}: ${(err as Error).message}` : `done ${name}`),
      };
    },
  };
  return { progress, events };
}

/** Drives the reporter as the builder does for every stage and instruction. */
function drive(text: string, r: BuildkitReporter): void {
  const df = groupStages(parseDockerfile(text).nodes);
  const names = new Set(df.stages.map((s) => s.name));
  const plan: BuildPlan = { metaArgs: df.metaArgs, stageCount: df.stages.length, stages: df.stages.map((s, index) => ({ index, name: s.name, base: s.base, baseIsStage: names.has(s.base), commands: s.commands })) };
  r.begin(plan);
  for (const [i, s] of df.stages.entries()) {
    r.from(i, s.from, s.base);
    for (const ins of s.commands) {
      r.instruction(ins, (t) => t.replace('$NAME', 'world'), false);
      r.stepDone('sha256:00');
    }
  }
  r.built('sha256:00');
}

const starts = (events: string[]): string[] => events.filter((e) => e.startsWith('start ')).map((e) => e.slice(6));

describe('BuildKit vertex names', () => {
  test('one stage: [i/n], image names normalized, metadata first, only numbered steps', () => {
    const { progress, events } = recorder();
    drive('FROM busybox\nENV NAME=x\nWORKDIR /app\nrun echo $NAME\n', new BuildkitReporter(progress, undefined));
    assert.deepEqual(starts(events), ['[internal] load metadata for docker.io/library/busybox:latest', '[1/3] FROM docker.io/library/busybox:latest', '[2/3] WORKDIR /app', '[3/3] RUN echo world']);
  });

  test('several stages: [name i/n] or [stage-N i/n]; FROM a stage is no step', () => {
    const { progress, events } = recorder();
    drive('FROM busybox AS build\nRUN echo a\nFROM build\nCOPY a /a\nFROM scratch\nCOPY --from=build /b /b\n', new BuildkitReporter(progress, undefined));
    assert.deepEqual(starts(events), ['[internal] load metadata for docker.io/library/busybox:latest', '[build 1/2] FROM docker.io/library/busybox:latest', '[build 2/2] RUN echo a', '[stage-1 1/1] COPY a /a', '[stage-2 1/1] COPY --from=build /b /b']);
  });

  test('a RUN that is only a heredoc shows its first line', () => {
    const { progress, events } = recorder();
    drive('FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\n', new BuildkitReporter(progress, undefined));
    assert.equal(starts(events)[2], '[2/2] RUN <<EOF (echo one...)');
  });

  test('ten steps or more: the index is padded as %*d does', () => {
    const { progress, events } = recorder();
    drive(`FROM busybox\n${'RUN true\n'.repeat(9)}`, new BuildkitReporter(progress, undefined));
    assert.equal(starts(events)[1], '[ 1/10] FROM docker.io/library/busybox:latest');
    assert.equal(starts(events)[10], '[10/10] RUN true');
  });

  test('cached steps, logs, and a failed RUN with BuildKit\'s message', () => {
    const { progress, events } = recorder();
    const r = new BuildkitReporter(progress, undefined);
    const df = groupStages(parseDockerfile('FROM busybox\nRUN echo hi\nRUN exit 3\n').nodes);
    const s = df.stages[0];
    assert.ok(s);
    r.begin({ metaArgs: [], stageCount: 1, stages: [{ index: 0, name: undefined, base: 'busybox', baseIsStage: false, commands: s.commands }] });
    r.from(0, s.from, 'busybox');
    r.instruction(s.commands[0] as never, (t) => t, false);
    r.cached();
    r.instruction(s.commands[1] as never, (t) => t, false);
    r.log(Buffer.from('out\n'), 1);
    r.fail(new RunFailedError(['/bin/sh', '-c', 'exit 3'], 3));
    assert.deepEqual(events.slice(3), [
      'done [1/3] FROM docker.io/library/busybox:latest',
      'start [2/3] RUN echo hi',
      'cached [2/3] RUN echo hi',
      'start [3/3] RUN exit 3',
      'log out\n',
      'error [3/3] RUN exit 3: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
    ]);
    assert.equal(buildkitMessage(new Error('plain')), 'plain');
  });
});
