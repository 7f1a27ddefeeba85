import { join } from 'node:path';

/** Where each log driver keeps a container's log (docker's places); `none` keeps none. */
export function logPathFor(containerDir: string, id: string, driver: string): string {
  if (driver === 'none') return '';
  if (driver === 'local') return join(containerDir, 'local-logs', 'container.log');
  return join(containerDir, `${id}-json.log`);
}
