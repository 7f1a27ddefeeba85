/**
 * The dashboard's login token: 32 random bytes, hex, in `<data-root>/ui-token` (0600, written
 * atomically). It stays across restarts, so a bookmarked session survives them; deleting the
 * file and restarting berthd makes a new one, which logs everybody out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '../../core/atomic-write.js';
import { errnoCode } from '../../core/errors.js';

export const TOKEN_FILE = 'ui-token';

export async function loadOrCreateToken(dataRoot: string): Promise<string> {
  const path = join(dataRoot, TOKEN_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(text)) return text;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('hex');
  await atomicWriteFile(path, `${token}\n`, 0o600);
  return token;
}

/** Compares in constant time: how long a wrong guess takes tells nothing about the token. */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}
