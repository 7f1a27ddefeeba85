import type { Duplex } from 'node:stream';
import { InvalidParameterError } from '../../core/errors.js';

/** Larger bodies are no exec-start JSON: refuse rather than buffer whatever a client sends. */
const MAX_UPGRADE_BODY = 1024 * 1024;
const UPGRADE_BODY_TIMEOUT_MS = 30_000;

/**
 * The request body of an upgrade request (exec start's `{"Detach":false,"Tty":…}`) and the
 * stream bytes that follow it. Node hands an `upgrade` listener only what it read along with the
 * headers (`head`); a client that writes its headers and body separately (the berth CLI, or any
 * client over a slow link) leaves the body on the socket, where it would be taken for stdin.
 */
export async function readUpgradeBody(socket: Duplex, head: Buffer, contentLength: string | undefined): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number(contentLength ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_UPGRADE_BODY) {
    throw new InvalidParameterError(`invalid Content-Length "${contentLength ?? ''}" on an upgrade request`);
  }
  let data = head;
  if (data.length < length) {
    data = await new Promise<Buffer>((resolve, reject) => {
      const parts = [head];
      let have = head.length;
      // A client that never sends the body it announced must not hold the socket forever.
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new InvalidParameterError(`upgrade request body not received within ${UPGRADE_BODY_TIMEOUT_MS / 1000} s`));
      }, UPGRADE_BODY_TIMEOUT_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        socket.removeListener('end', onEnd);
        socket.removeListener('error', reject);
      };
      const onData = (chunk: Buffer): void => {
        parts.push(chunk);
        have += chunk.length;
        if (have < length) return;
        cleanup();
        socket.pause();
        resolve(Buffer.concat(parts));
      };
      const onEnd = (): void => {
        cleanup();
        reject(new InvalidParameterError(`connection closed after ${have} of ${length} body bytes`));
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('error', reject);
    });
  }
  return { body: data.subarray(0, length), rest: data.subarray(length) };
}
