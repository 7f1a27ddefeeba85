/**
 * Waiting for a client to read what was written to it. The 101 answer of a hijacked attach or exec
 * must reach the client alone: Python's http.client reads it through a buffered file that takes
 * whatever bytes came with it, and docker-py then reads the raw socket past that buffer
 * (docker-py#2466), so output sent right behind the answer is lost. dockerd gets away with it by
 * being slow to send the first output; Berth waits until the kernel says the peer read the answer.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostAddon } from './host-addon.js';

/** The descriptor of a Unix-socket connection; undefined for TCP (SIOCOUTQ there counts unacknowledged bytes, not unread ones) or TLS. */
function unixFd(socket: Duplex): number | undefined {
  if (!(socket instanceof Socket) || socket.remoteFamily !== undefined) return undefined;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Resolves true once the peer of a Unix socket has read every byte written to it, false after
 * `maxMs` or when that cannot be known (TCP, TLS, a closed socket): the caller goes on either way.
 */
export async function peerCaughtUp(socket: Duplex, maxMs: number): Promise<boolean> {
  const fd = unixFd(socket);
  if (fd === undefined) return false;
  const deadline = Date.now() + maxMs;
  for (;;) {
    if (socket.destroyed) return false;
    // Bytes Node still holds have not reached the kernel: the peer cannot have read them.
    if (socket.writableLength === 0) {
      let unread: number;
      try {
        unread = hostAddon().unreadSent(fd);
      } catch {
        return false;
      }
      if (unread === 0) return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(1);
  }
}
