import type { EventEmitter } from 'node:events';

/**
 * Resolves at a writable's `event` ('drain' once it takes writes again, 'finish' once all is
 * written) or when it is gone ('close'), whichever comes first: a writer must not wait for ever
 * on a reader that stopped. Leaves no listener behind.
 */
export function eventOrClose(stream: EventEmitter, event: 'drain' | 'finish'): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off(event, done);
      stream.off('close', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
  });
}
