/**
 * Bounded concurrency for independent jobs: layer downloads and uploads (docker's
 * max-concurrent-downloads/uploads), and the containers a daemon start adopts.
 */

/** Runs `job` on every item, at most `limit` at a time; the first failure stops new jobs and is thrown. */
export async function runLimited<T>(items: T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++] as T;
      try {
        await job(item);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
