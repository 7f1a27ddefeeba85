import type { Socket } from 'node:net';
import type { ProcessHandle } from '../../drivers/runtime/container-runtime.js';

interface Pending {
  resolve: (s: Socket) => void;
  reject: (err: unknown) => void;
}

/**
 * Attach streams to a container's monitor. The docker CLI attaches *before* it starts a
 * container, so an attach to a container that is not running waits here, and start connects
 * every waiting attach before the runtime starts the process: no early output is lost.
 */
export class AttachHub {
  private readonly pending = new Map<string, Pending[]>();

  /** Waits for the container's next start. */
  waitForStart(id: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(id) ?? [];
      list.push({ resolve, reject });
      this.pending.set(id, list);
    });
  }

  now(handle: ProcessHandle): Promise<Socket> {
    return handle.attach();
  }

  /** Called by start once the monitor listens and before the process runs. */
  /** How many attach clients wait for this container's start. */
  waiting(id: string): number {
    return this.pending.get(id)?.length ?? 0;
  }

  async monitorReady(id: string, handle: ProcessHandle): Promise<void> {
    const list = this.pending.get(id) ?? [];
    this.pending.delete(id);
    await Promise.all(list.map(async (p) => {
      try {
        p.resolve(await handle.attach());
      } catch (err) {
        p.reject(err);
      }
    }));
  }

  cancel(id: string, err: unknown): void {
    for (const p of this.pending.get(id) ?? []) p.reject(err);
    this.pending.delete(id);
  }

  drop(id: string, resolve: (s: Socket) => void): void {
    const list = (this.pending.get(id) ?? []).filter((p) => p.resolve !== resolve);
    if (list.length > 0) this.pending.set(id, list);
    else this.pending.delete(id);
  }
}
