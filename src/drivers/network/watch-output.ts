import { spawn } from 'node:child_process';

/**
 * Runs a monitor command (`ip monitor route`, `nft monitor ruleset`: netlink listeners) and calls
 * `onChange` at most every `settleMs` while it prints: a burst of changes is one call. Without
 * the tool nothing is watched. The child dies with the daemon; `close` stops it sooner.
 */
export function watchOutput(file: string, args: readonly string[], onChange: () => void, settleMs: number): { close(): void } {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      onChange();
    }, settleMs);
  });
  child.on('error', () => undefined);
  child.unref();
  return {
    close() {
      if (timer) clearTimeout(timer);
      child.kill();
    },
  };
}
