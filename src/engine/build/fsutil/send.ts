/**
 * The sending end of fsutil's DiffCopy (tonistiigi/fsutil send.go), as buildkit's daemon runs it
 * for FileSend.DiffCopy (--output type=local): we walk a directory in Go's filepath.WalkDir order
 * and send a STAT per entry (an empty STAT ends the list), while the client REQs regular files by
 * their index in that list and gets DATA packets back (an empty one ends a file). The client's
 * FIN, once it has everything, is answered with FIN; then we close our side and wait for the end
 * of the call. Errors on either side travel as ERR packets.
 *
 * The directory is the daemon's own build output. Its symlinks are sent as symlinks (lstat) and
 * files are opened with O_NOFOLLOW. Sockets are skipped (fsutil turns them into empty files).
 * Node cannot list xattrs, so none are sent.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { InvalidParameterError, SystemError, UnavailableError, errorMessage, isBerthError } from '../../../core/errors.js';
import type { Channel, FsPacket, FsStat } from '../solve-types.js';
import { PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT, canRequestData, compareNames, goFileMode, kindOf, packet, packetSize } from './wire.js';

export interface SendOptions {
  /** Called with the running total of bytes sent (fsutil's progress count). */
  onBytes?: (total: number) => void;
  /** Names the transfer in errors, e.g. `the local output`. */
  label?: string;
}

/** fsutil's sender runs four file workers with 32 KiB reads. */
const WORKERS = 4;
const CHUNK = 32 * 1024;

/** Sends the tree at `src` to the peer on `ch`, which receives it as fsutil.Receive does. */
export async function send(ch: Channel<FsPacket>, src: string, opts: SendOptions = {}): Promise<void> {
  await new Sender(ch, src, opts).run();
}

class Sender {
  private readonly files = new Map<number, string>();
  private readonly queue: { id: number; path: string }[] = [];
  private readonly inodes = new Map<string, string>();
  private readonly label: string;
  private active = 0;
  private nextId = 0;
  private total = 0;
  private stopped = false;
  private callFailed = false;
  private sending: Promise<void> = Promise.resolve();
  private fail: (err: unknown) => void = () => undefined;

  constructor(
    private readonly ch: Channel<FsPacket>,
    private readonly src: string,
    private readonly opts: SendOptions,
  ) {
    this.label = opts.label ?? 'the output';
  }

  async run(): Promise<void> {
    const failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    failed.catch(() => undefined);
    void this.walk().catch((err: unknown) => this.fail(this.readError(err)));
    try {
      await Promise.race([this.recvLoop(), failed]);
    } catch (err) {
      this.stopped = true;
      const failure = isBerthError(err) ? err : new UnavailableError(`the transfer of ${this.label} to the client failed: ${errorMessage(err)}`, { cause: err });
      await Promise.race([this.sendMsg(packet(PACKET_ERR, { data: Buffer.from(failure.message) })).catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      this.ch.cancel();
      throw failure;
    }
  }

  /** A local failure (not the client's, not the call's) while walking or reading `src`. */
  private readError(err: unknown): unknown {
    if (isBerthError(err) || this.stopped || this.callFailed) return err;
    return new SystemError(`cannot read ${this.label} in ${this.src}: ${errorMessage(err)}`, { cause: err });
  }

  /** Sends one at a time, in call order (fsutil's syncStream). */
  private sendMsg(p: FsPacket): Promise<void> {
    const sent = this.sending.then(() => this.ch.send(p)).catch((err: unknown) => {
      this.callFailed = true;
      throw err;
    });
    this.sending = sent.catch(() => undefined);
    this.total += packetSize(p);
    this.opts.onBytes?.(this.total);
    return sent;
  }

  private async recvLoop(): Promise<void> {
    for (;;) {
      const p = await this.ch.recv();
      if (p === null) throw new UnavailableError(`the client ended the transfer of ${this.label} before it finished; try the build again`);
      switch (p.type) {
        case PACKET_ERR:
          throw new InvalidParameterError(`the client could not receive ${this.label}: ${p.data.toString()}`);
        case PACKET_REQ: {
          const path = this.files.get(p.ID);
          if (path === undefined) throw new InvalidParameterError(`the client asked for file id ${p.ID} of ${this.label}, which is not one it may request`);
          this.files.delete(p.ID);
          this.queue.push({ id: p.ID, path });
          this.pump();
          break;
        }
        case PACKET_FIN:
          await this.sendMsg(packet(PACKET_FIN));
          this.stopped = true;
          this.ch.closeSend();
          // The client has written everything before its FIN; what follows is only the call ending.
          try {
            while ((await this.ch.recv()) !== null);
          } catch {
            // Ignored, as buildkit does: the transfer is complete.
          }
          return;
        default:
          break;
      }
    }
  }

  private pump(): void {
    while (this.active < WORKERS && this.queue.length > 0 && !this.stopped) {
      const { id, path } = this.queue.shift()!;
      this.active++;
      this.sendFile(id, path)
        .catch((err: unknown) => this.fail(this.readError(err)))
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  private async sendFile(id: number, path: string): Promise<void> {
    let handle;
    try {
      handle = await open(`${this.src}/${path}`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      // As fsutil: a file that cannot be opened any more is sent empty.
    }
    if (handle) {
      try {
        for (;;) {
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await handle.read(buf, 0, CHUNK);
          if (bytesRead === 0 || this.stopped) break;
          await this.sendMsg(packet(PACKET_DATA, { ID: id, data: buf.subarray(0, bytesRead) }));
        }
      } finally {
        await handle.close();
      }
    }
    await this.sendMsg(packet(PACKET_DATA, { ID: id }));
  }

  private async walk(): Promise<void> {
    await this.walkDir('');
    if (!this.stopped) await this.sendMsg(packet(PACKET_STAT));
  }

  private async walkDir(rel: string): Promise<void> {
    const names = (await readdir(rel === '' ? this.src : `${this.src}/${rel}`)).sort(compareNames);
    for (const name of names) {
      if (this.stopped) return;
      const path = rel === '' ? name : `${rel}/${name}`;
      const stat = await this.statOf(path);
      if (stat === undefined) continue;
      const id = this.nextId++;
      if (canRequestData(stat.mode)) this.files.set(id, path);
      await this.sendMsg(packet(PACKET_STAT, { stat }));
      if (kindOf(stat.mode) === 'dir') await this.walkDir(path);
    }
  }

  private async statOf(path: string): Promise<FsStat | undefined> {
    const abs = `${this.src}/${path}`;
    let st;
    try {
      st = await lstat(abs, { bigint: true });
    } catch (err) {
      // As fsutil's walk: an entry gone meanwhile is skipped.
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
      throw err;
    }
    if (st.isSocket()) return undefined;
    const mode = goFileMode(Number(st.mode));
    const stat: FsStat = { path, mode, uid: Number(st.uid), gid: Number(st.gid), size: 0, modTime: Number(st.mtimeNs), linkname: '', devmajor: 0, devminor: 0, xattrs: {} };
    if (st.isDirectory()) return stat;
    stat.size = Number(st.size);
    if (st.isSymbolicLink()) stat.linkname = await readlink(abs);
    if (st.isBlockDevice() || st.isCharacterDevice()) {
      const rdev = st.rdev;
      stat.devmajor = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
      stat.devminor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    }
    if (st.isFile() && st.nlink > 1n) {
      // Hard links: the first path seen is the one the others name (fsutil's inode map).
      const key = `${st.dev}:${st.ino}`;
      const first = this.inodes.get(key);
      if (first === undefined) this.inodes.set(key, path);
      else {
        stat.linkname = first;
        stat.size = 0;
      }
    }
    return stat;
  }
}
