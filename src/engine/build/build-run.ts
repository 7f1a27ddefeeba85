import { phaseTimer } from '../../core/phase-timer.js';
import type { Digest } from '../../core/digest.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { ImageRunConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import { commitContainer, rootfsParent } from '../rootfs/index.js';
import type { ContainerService } from '../containers/container-service.js';
import { readLogs } from '../containers/logs/json-file-reader.js';
import type { ImageService } from '../images/image-service.js';
import type { BuildReporter } from './build-reporter.js';
import { RunFailedError } from './run-failed-error.js';

export interface RunStepDeps {
  containers: ContainerService;
  images: ImageService;
  content: ContentStore;
  snapshotter: Snapshotter;
  log: Logger;
}

export interface RunStepInput {
  parent: Digest;
  /** The command as it runs (shell form wrapped in the stage's shell). */
  cmd: string[];
  /** What history shows and the cache keys on: `|N A=1 … cmd` when build args are in play. */
  savedCmd: string[];
  runConfig: ImageRunConfig;
  author: string | undefined;
  /** Build args in scope, as extra env for this command only. */
  argEnv: string[];
  hostConfig: Record<string, unknown>;
  /** --rm (after success) and --force-rm (always). */
  remove: boolean;
  forceRemove: boolean;
  report: Pick<BuildReporter, 'running' | 'log' | 'removing'>;
  /** Work the build must finish before it ends but the next step need not wait for. */
  background: (work: Promise<unknown>) => void;
  /** Mount targets whose stubs (empty files and directories made to mount onto) stay out of the image. */
  stubs?: readonly string[];
  /** The client went away: the command is killed and the step fails. */
  signal?: AbortSignal;
}

/**
 * Runs one RUN step as docker's legacy builder does: an intermediate container from the
 * previous image with the stage's config (its ENTRYPOINT ignored), its output streamed into the
 * build output, then committed: the new image keeps the stage's config (CMD and all), and its
 * history entry records the command.
 */
export async function runStep(d: RunStepDeps, input: RunStepInput): Promise<Digest> {
  const c = input.runConfig;
  const { mark, phases } = phaseTimer();
  const { Id } = await d.containers.create(
    {
      Image: input.parent,
      Cmd: input.cmd,
      Entrypoint: [''],
      Env: [...(c.Env ?? []), ...input.argEnv],
      ...(c.User ? { User: c.User } : {}),
      ...(c.WorkingDir ? { WorkingDir: c.WorkingDir } : {}),
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: input.hostConfig,
    },
    undefined,
  );
  input.report.running(Id);
  let ok = false;
  try {
    const exited = d.containers.notifier.add(Id, 'not-running');
    mark('created');
    await d.containers.start(Id);
    mark('started');
    const record = d.containers.get(Id);
    const kill = (): void => void d.containers.kill(Id, 'KILL').catch(() => undefined);
    input.signal?.addEventListener('abort', kill, { once: true });
    void exited.finally(() => input.signal?.removeEventListener('abort', kill));
    if (input.signal?.aborted) kill();
    const ended = exited.then(() => undefined);
    for await (const l of readLogs(record.LogPath, { stdout: true, stderr: true, follow: true, timestamps: false, details: false, isRunning: () => d.containers.get(Id).State.Running, waitForExit: ended })) {
      input.report.log(l.line, l.stream === 'stderr' ? 2 : 1);
    }
    const code = await exited;
    if (input.signal?.aborted) throw new Error('the build was canceled: the client disconnected');
    if (code !== 0) throw new RunFailedError(input.cmd, code);
    mark('ran');
    if (input.stubs && input.stubs.length > 0) await d.snapshotter.removeMountStubs(Id, input.stubs);
    const parent = await rootfsParent(d.images, d.containers.get(Id).Image);
    const id = await commitContainer(
      { images: d.images, content: d.content },
      {
        parentImageId: input.parent,
        diff: () => d.snapshotter.diff(Id, parent, (m) => d.log.warn({ id: Id }, m)),
        containerId: Id,
        containerConfig: { ...c, Cmd: input.savedCmd },
        imageConfig: c,
        changeInstructions: [],
        author: input.author,
      },
    );
    mark('committed');
    d.log.debug({ id: Id, ms: phases }, 'build run step');
    ok = true;
    return id;
  } finally {
    if (input.forceRemove || (ok && input.remove) || input.signal?.aborted) {
      input.report.removing(Id);
      // The next step does not need the container gone; the build waits for it before it ends.
      input.background(d.containers.remove(Id, { force: true, volumes: true }).catch((err: unknown) => d.log.warn({ err, id: Id }, 'removing an intermediate container failed')));
    }
  }
}
