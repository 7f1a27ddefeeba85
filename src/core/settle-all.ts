/**
 * Awaits every task, then throws the first failure: unlike Promise.all, nothing is still running
 * when the caller goes on (or releases a lock) after an error.
 */
export async function settleAll(tasks: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
