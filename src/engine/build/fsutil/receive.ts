/**
 * The receiving end of fsutil's DiffCopy (tonistiigi/fsutil receive.go), as buildkit's daemon runs
 * it for FileSync.DiffCopy: the client walks its directory and sends a STAT per entry (an empty
 * STAT ends the list), we REQ each regular file by its index in that list, the client answers
 * with DATA packets (an empty one ends a file), and once everything is on disk we send FIN, the
 * client answers FIN and ends the call.
 *
 * The client is not trusted. Every path goes through fsutil's order rules (PathOrder): clean,
 * relative, parent sent before as a directory, each name once. Since `dest` starts empty and
 * every directory in it is one this transfer made, no path can pass through a symlink, and
 * entries are made with exclusive create calls that never follow one. Hard links may only name a
 * regular file sent before. Device nodes, sockets and other irregular entries are skipped (a
 * build context has no business creating devices on the daemon's host); fifos are made.
 * Memory is bounded: each DATA packet is written before the next is read, at most
 * MAX_OPEN_FILES descriptors stay open, and what is kept per entry is its path.
 */
import { constants } from 'node:fs';
import { chmod, link, lchown, lutimes, mkdir, open, symlink, type FileHandle } from 'node:fs/promises';
import { InvalidParameterError, SystemError, UnavailableError, errorMessage, isBerthError } from '../../../core/errors.js';
import { makeFifo, setLinkXattr } from '../../../drivers/host/host-files.js';
import type { Channel, FsPacket, FsStat } from '../solve-types.js';
import {
  PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT, PathOrder, canRequestData, kindOf, packet, packetSize, unixPermissions,
} from './wire.js';

export interface ReceiveOptions {
  /** Called with the running total of bytes received (fsutil's progress count). */
  onBytes?: (total: number) => void;
  /** Gives entries the owners the client sent (default: when the daemon runs as root). */
  chown?: boolean;
  /** Names the transfer in errors, e.g. `the build context "context"`. */
  label?: string;
}

/** Descriptors held open at once; a client interleaving more files gets them reopened. */
const MAX_OPEN_FILES = 32;
/** Xattrs a client may set: its own namespace, file capabilities and ACLs, never trusted.* (overlayfs). */
const ALLOWED_XATTR = /^(user\.|security\.capability$|system\.posix_acl_(access|default)$)/;

interface PendingFile {
  path: string;
  stat: FsStat;
  handle?: FileHandle;
}

/** Writes the tree the peer sends on `ch` into `dest`, an empty directory. */
export async function receive(ch: Channel<FsPacket>, dest: string, opts: ReceiveOptions = {}): Promise<void> {
  await new Receiver(ch, dest, opts).run();
}

class Receiver {
  private readonly order = new PathOrder();
  private readonly pending = new Map<number, PendingFile>();
  /** Ids of the files with an open descriptor, least recently written first. */
  private readonly openIds = new Set<number>();
  private readonly regularFiles = new Set<string>();
  private readonly dirs: FsStat[] = [];
  private readonly chown: boolean;
  private readonly label: string;
  private nextId = 0;
  private total = 0;
  private listDone = false;
  private finSent = false;
  private requests: Promise<void> = Promise.resolve();
  private requestError: unknown;

  constructor(
    private readonly ch: Channel<FsPacket>,
    private readonly dest: string,
    private readonly opts: ReceiveOptions,
  ) {
    this.chown = opts.chown ?? process.getuid?.() === 0;
    this.label = opts.label ?? 'the directory from the client';
  }

  async run(): Promise<void> {
    try {
      await this.loop();
    } catch (err) {
      await this.closeFiles();
      const failure = isBerthError(err) ? err : new UnavailableError(`the transfer of ${this.label} from the client failed: ${errorMessage(err)}`, { cause: err });
      await this.sendError(failure.message);
      throw failure;
    }
  }

  private async loop(): Promise<void> {
    for (;;) {
      const p = await this.ch.recv();
      if (p === null) throw new UnavailableError(`the client ended the transfer of ${this.label} before it finished; try the build again`);
      this.total += packetSize(p);
      this.opts.onBytes?.(this.total);
      switch (p.type) {
        case PACKET_ERR:
          throw new InvalidParameterError(`the client could not send ${this.label}: ${p.data.toString()}`);
        case PACKET_STAT:
          if (this.listDone) throw new InvalidParameterError(`the client sent entries of ${this.label} after the end of its list`);
          if (p.stat === null) this.listDone = true;
          else await this.entry(p.stat);
          break;
        case PACKET_DATA:
          await this.data(p);
          break;
        case PACKET_FIN:
          if (!this.finSent) throw new InvalidParameterError(`the client ended the transfer of ${this.label} before it was asked to`);
          // As fsutil: the sender's FIN ends the exchange; read to the end of the call, then close our side.
          while ((await this.ch.recv()) !== null);
          this.ch.closeSend();
          return;
        default:
          // REQ means nothing to a receiver; fsutil ignores unknown types too.
          break;
      }
      if (this.requestError !== undefined) throw this.requestError;
      if (this.listDone && this.pending.size === 0 && !this.finSent) {
        await this.requests;
        if (this.requestError !== undefined) throw this.requestError;
        await this.finishDirs();
        await this.ch.send(packet(PACKET_FIN));
        this.finSent = true;
      }
    }
  }

  private async entry(stat: FsStat): Promise<void> {
    const id = this.nextId++;
    const kind = kindOf(stat.mode);
    this.order.check(stat.path, kind === 'dir');
    const target = `${this.dest}/${stat.path}`;
    if (kind === 'file' && stat.linkname !== '' && !this.regularFiles.has(stat.linkname)) {
      throw new InvalidParameterError(`the client sent ${JSON.stringify(stat.path)} as a hard link to ${JSON.stringify(stat.linkname)}, which is not a file it sent before; the transfer is refused`);
    }
    await this.fsCall(stat.path, async () => {
      switch (kind) {
        case 'dir':
          // Owner-only until the end, when its mode and times are set after its contents.
          await mkdir(target, 0o700);
          await this.owner(target, stat);
          this.xattrs(target, stat);
          this.dirs.push(stat);
          return;
        case 'symlink':
          await symlink(stat.linkname, target);
          await this.owner(target, stat);
          await lutimes(target, stat.modTime / 1e9, stat.modTime / 1e9);
          return;
        case 'fifo':
          makeFifo(target);
          await this.finishEntry(target, stat);
          return;
        case 'file':
          if (stat.linkname !== '') {
            // link(2) never follows the source, which is a regular file made by this transfer.
            await link(`${this.dest}/${stat.linkname}`, target);
            return;
          }
          await (await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)).close();
          this.regularFiles.add(stat.path);
          if (canRequestData(stat.mode)) this.request(id, stat);
          return;
        default:
          // Devices, sockets, irregular files: skipped, as documented above.
          return;
      }
    });
  }

  private request(id: number, stat: FsStat): void {
    this.pending.set(id, { path: stat.path, stat });
    // Not awaited: the client may be busy sending us DATA, and must not wait on our REQs meanwhile.
    this.requests = this.requests.then(() => this.ch.send(packet(PACKET_REQ, { ID: id }))).catch((err: unknown) => {
      this.requestError ??= err;
    });
  }

  private async data(p: FsPacket): Promise<void> {
    const file = this.pending.get(p.ID);
    if (!file) throw new InvalidParameterError(`the client sent data for file id ${p.ID} of ${this.label}, which was not requested; the transfer is refused`);
    const target = `${this.dest}/${file.path}`;
    await this.fsCall(file.path, async () => {
      if (p.data.length === 0) {
        await this.closeFile(p.ID, file);
        this.pending.delete(p.ID);
        await this.finishEntry(target, file.stat);
        return;
      }
      const handle = await this.handleFor(p.ID, file, target);
      let done = 0;
      while (done < p.data.length) done += (await handle.write(p.data, done, p.data.length - done)).bytesWritten;
    });
  }

  private async handleFor(id: number, file: PendingFile, target: string): Promise<FileHandle> {
    if (file.handle) {
      this.openIds.delete(id);
      this.openIds.add(id);
      return file.handle;
    }
    if (this.openIds.size >= MAX_OPEN_FILES) {
      const oldest = this.openIds.values().next().value as number;
      await this.closeFile(oldest, this.pending.get(oldest)!);
    }
    // O_APPEND: a file reopened after eviction continues where it stopped.
    file.handle = await open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    this.openIds.add(id);
    return file.handle;
  }

  private async closeFile(id: number, file: PendingFile): Promise<void> {
    this.openIds.delete(id);
    const handle = file.handle;
    delete file.handle;
    await handle?.close();
  }

  private async closeFiles(): Promise<void> {
    for (const id of [...this.openIds]) await this.closeFile(id, this.pending.get(id)!).catch(() => undefined);
  }

  /** Owner, then xattrs (chown clears file capabilities), then mode (chown clears setuid), then times. */
  private async finishEntry(target: string, stat: FsStat): Promise<void> {
    await this.owner(target, stat);
    this.xattrs(target, stat);
    await chmod(target, unixPermissions(stat.mode));
    await lutimes(target, stat.modTime / 1e9, stat.modTime / 1e9);
  }

  private async finishDirs(): Promise<void> {
    // Deepest last made first, so that nothing done to a child touches its parent afterwards.
    for (const stat of this.dirs.reverse()) {
      const target = `${this.dest}/${stat.path}`;
      await this.fsCall(stat.path, async () => {
        await chmod(target, unixPermissions(stat.mode));
        await lutimes(target, stat.modTime / 1e9, stat.modTime / 1e9);
      });
    }
    this.dirs.length = 0;
  }

  private async owner(target: string, stat: FsStat): Promise<void> {
    if (this.chown) await lchown(target, stat.uid, stat.gid);
  }

  private xattrs(target: string, stat: FsStat): void {
    for (const [name, value] of Object.entries(stat.xattrs)) {
      if (!ALLOWED_XATTR.test(name)) continue;
      try {
        setLinkXattr(target, name, value);
      } catch {
        // As fsutil: an xattr the filesystem or our privileges refuse is dropped.
      }
    }
  }

  private async fsCall(path: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (isBerthError(err)) throw err;
      throw new SystemError(`cannot write ${JSON.stringify(path)} of ${this.label} into ${this.dest}: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async sendError(message: string): Promise<void> {
    // Best effort, as fsutil: tell the client why, then cancel the call whatever happened.
    await Promise.race([this.ch.send(packet(PACKET_ERR, { data: Buffer.from(message) })).catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.ch.cancel();
  }
}
