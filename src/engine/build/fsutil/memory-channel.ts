/**
 * Test support (no shipped code uses it): two in-memory ends of a bidi call with the Channel
 * semantics the gRPC transport gives, and a scripted client that speaks fsutil's sending side the
 * way fsutil.Send does, except that it sends whatever entries and packets a test gives it.
 */
import type { Channel, FsPacket, FsStat } from '../solve-types.js';
import { PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT, emptyStat, packet } from './wire.js';

class End<T> implements Channel<T> {
  peer!: End<T>;
  readonly inbox: T[] = [];
  private waiter: { resolve: (v: T | null) => void; reject: (e: unknown) => void } | undefined;
  sendClosed = false;
  cancelled = false;

  send(msg: T): Promise<void> {
    if (this.cancelled) return Promise.reject(new Error('CANCELLED: the call was cancelled'));
    if (this.sendClosed) return Promise.reject(new Error('send after closeSend'));
    this.peer.deliver(msg);
    return Promise.resolve();
  }

  recv(): Promise<T | null> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.cancelled) return Promise.reject(new Error('CANCELLED: the call was cancelled'));
    if (this.peer.sendClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  closeSend(): void {
    this.sendClosed = true;
    this.peer.wake();
  }

  cancel(): void {
    for (const end of [this, this.peer]) {
      end.cancelled = true;
      end.wake();
    }
  }

  private deliver(msg: T): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(msg);
    else this.inbox.push(msg);
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.cancelled) w.reject(new Error('CANCELLED: the call was cancelled'));
    else if (this.peer.sendClosed) w.resolve(null);
  }
}

/** The daemon's end and the client's end of one call. */
export function channelPair<T>(): [End<T>, End<T>] {
  const a = new End<T>();
  const b = new End<T>();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface ScriptedEntry {
  stat: Partial<FsStat> & { path: string; mode: number };
  data?: Buffer;
}

export interface ScriptResult {
  /** ERR messages the daemon sent. */
  errors: string[];
  /** Ids the daemon requested. */
  requested: number[];
  finished: boolean;
}

/**
 * The client's side of FileSync.DiffCopy: sends `entries` as STATs (numbered in order, as
 * fsutil does), the end of the list, then `extra`; answers REQs with each entry's data in
 * `chunk`-sized DATA packets (unless `answer` is false: `extra` has the data) and FIN with FIN.
 */
export async function scriptedClient(ch: Channel<FsPacket>, entries: ScriptedEntry[], extra: FsPacket[] = [], opts: { chunk?: number; answer?: boolean } = {}): Promise<ScriptResult> {
  const chunk = opts.chunk ?? 7;
  const result: ScriptResult = { errors: [], requested: [], finished: false };
  try {
    for (const e of entries) await ch.send(packet(PACKET_STAT, { stat: { ...emptyStat(e.stat.path), ...e.stat } }));
    await ch.send(packet(PACKET_STAT));
    for (const p of extra) await ch.send(p);
    for (;;) {
      const p = await ch.recv();
      if (p === null) return result;
      if (p.type === PACKET_ERR) {
        result.errors.push(p.data.toString());
        return result;
      }
      if (p.type === PACKET_REQ) {
        result.requested.push(p.ID);
        if (opts.answer === false) continue;
        const data = entries[p.ID]?.data ?? Buffer.alloc(0);
        for (let at = 0; at < data.length; at += chunk) await ch.send(packet(PACKET_DATA, { ID: p.ID, data: data.subarray(at, at + chunk) }));
        await ch.send(packet(PACKET_DATA, { ID: p.ID }));
      }
      if (p.type === PACKET_FIN) {
        await ch.send(packet(PACKET_FIN));
        ch.closeSend();
        result.finished = true;
        // As a gRPC handler returning: the call ends once both sides are done.
        while ((await ch.recv()) !== null);
        return result;
      }
    }
  } catch {
    return result;
  }
}
