import type { TestDaemon } from './test-daemon.js';

/**
 * Removes every container of a test's own daemon (they are all the test's: the daemon, its data
 * root and socket are private to it), then stops the daemon. Containers outlive their daemon, so
 * `stop()` alone would leave their processes running.
 */
export async function removeContainersAndStop(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  const ids = (await d.docker(['ps', '-aq']).catch(() => undefined))?.stdout.split('\n').filter(Boolean) ?? [];
  if (ids.length > 0) await d.docker(['rm', '-f', ...ids]).catch(() => undefined);
  await d.stop();
}
