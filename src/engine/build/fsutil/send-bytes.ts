/**
 * The daemon's end of buildkit's CopyFileWriter (session/filesync): an output file (a tar, a
 * docker or OCI archive) goes to the client as BytesMessage chunks on FileSend.DiffCopy; closing
 * our side tells the client it has everything, and the call ends once the client has closed
 * the file (its error, e.g. "target already exists", arrives as the call's status).
 */
import type { Readable } from 'node:stream';
import { UnavailableError, errorMessage } from '../../../core/errors.js';
import type { Channel } from '../solve-types.js';

/** grpc-go refuses messages over 4 MiB by default; buildkit splits at 3 MiB. */
export const MAX_CHUNK = 3 * 1024 * 1024;

/** Streams `data` to the peer on `ch` and waits for the peer to end the call. */
export async function sendBytes(ch: Channel<Buffer>, data: Readable, onBytes?: (total: number) => void): Promise<void> {
  let total = 0;
  try {
    for await (const chunk of data) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      for (let at = 0; at < buf.length; at += MAX_CHUNK) {
        const piece = buf.subarray(at, at + MAX_CHUNK);
        await ch.send(piece).catch(async (err: unknown) => {
          // A send fails when the client has ended the call; its status says why.
          await ch.recv();
          throw err;
        });
        total += piece.length;
        onBytes?.(total);
      }
    }
  } catch (err) {
    ch.cancel();
    throw new UnavailableError(`cannot send the output file to the client: ${errorMessage(err)}`, { cause: err });
  }
  ch.closeSend();
  try {
    while ((await ch.recv()) !== null);
  } catch (err) {
    throw new UnavailableError(`the client could not save the output file: ${errorMessage(err)}`, { cause: err });
  }
}
