import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Sleeps until the followed log file may have changed. inotify (fs.watch) wakes us promptly, but
 * it can miss appends from another process, run out of watches, or watch an inode that rotation
 * replaced, so every wait also ends after `pollMs` (moby likewise falls back to a poller).
 * The directory is watched rather than the file so that creation and rotation are seen too.
 */
export class FileChangeWaiter {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;
  private readonly onAbort = (): void => this.notify();

  constructor(
    path: string,
    private readonly pollMs: number,
    private readonly signal?: AbortSignal,
  ) {
    const name = basename(path);
    try {
      // persistent: false, so a forgotten follow never keeps the daemon's event loop alive by itself.
      this.watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) this.notify();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = undefined; // no directory yet or no inotify watches left: polling still works
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Ends the current (or next) wait early: the file changed, the container exited, or we abort. */
  notify(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async wait(): Promise<void> {
    if (!this.dirty && !this.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.dirty = false;
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.closeWatcher();
    this.notify();
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
