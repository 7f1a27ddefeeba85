import type { Readable } from 'node:stream';
import { InvalidParameterError, SystemError, errnoCode, errorMessage, isBerthError } from '../../core/errors.js';
import { validateTarHeader, type RawTarHeader } from './tar-entry-header.js';
import { TarFormatError, TarInputError, TarReader } from './tar-reader.js';
import type { EntryContent } from './write-tar-entry.js';

/** How a tar reader names its failures: a bad tar is the client's fault, a host failure ours. */
export interface TarErrorWords {
  /** Prefix of a malformed tar's message, e.g. `invalid layer tar`. */
  invalid: string;
  /** Prefix when the input stream itself failed, e.g. `cannot read layer tar`. */
  unreadable: string;
  /** Prefix of any other failure, e.g. `cannot unpack layer`. */
  failed: string;
  /** errno codes that mean the tar contradicts itself (`a` a file, then `a/b`). */
  inconsistentCodes: readonly string[];
}

/**
 * Feeds every entry of `tar` to `onEntry`, one at a time, parsed as docker's Go reader does (see
 * TarReader). After the end of the archive the rest of the input is read and dropped, so that an
 * input checking a digest at its end gets to check it. On any failure the input is destroyed and
 * the error typed.
 */
export async function readTarEntries(
  tar: Readable,
  words: TarErrorWords,
  onEntry: (header: RawTarHeader, content: EntryContent) => Promise<void>,
): Promise<void> {
  const reader = new TarReader(tar);
  try {
    for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
      const { header, content } = entry;
      // docker logs PAX global headers and ignores them.
      if (header.type === 'pax-global-header') continue;
      // docker's createTarFile has no case for GNU sparse ('S') entries: "unhandled tar header type 83".
      if (header.type === 'gnu-sparse') throw new InvalidParameterError(`${words.invalid}: unhandled tar header type 83 (GNU sparse) for "${header.name}"`);
      validateTarHeader(header, words.invalid);
      await onEntry(header, content);
    }
    await reader.drain();
  } catch (err) {
    tar.destroy();
    throw classify(err, words);
  }
}

function classify(err: unknown, words: TarErrorWords): Error {
  if (err instanceof TarFormatError) return new InvalidParameterError(`${words.invalid}: ${err.message}`, { cause: err });
  // The stream we read failed (network, decompression, digest check): the caller's error to type.
  if (err instanceof TarInputError) {
    if (isBerthError(err.cause)) return err.cause;
    return new SystemError(`${words.unreadable}: ${errorMessage(err.cause)}`, { cause: err.cause });
  }
  if (isBerthError(err)) return err;
  if (words.inconsistentCodes.includes(errnoCode(err) ?? '')) {
    return new InvalidParameterError(`${words.invalid}: ${errorMessage(err)}`, { cause: err });
  }
  return new SystemError(`${words.failed}: ${errorMessage(err)}`, { cause: err });
}
