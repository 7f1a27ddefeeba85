import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { InvalidParameterError, SystemError, errnoCode, errorMessage, isBerthError } from '../../core/errors.js';
import type { RawTarHeader } from './tar-entry-header.js';
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
 * Feeds every entry of `tar` to `onEntry`, one at a time. On any failure the input is
 * destroyed and the error typed: the extractor's own error is awaited, because a truncated tar
 * can fail the entry stream first and only then the extractor, whose error names the cause.
 */
export async function readTarEntries(
  tar: Readable,
  words: TarErrorWords,
  onEntry: (header: RawTarHeader, content: EntryContent) => Promise<void>,
): Promise<void> {
  const extract = tarStream.extract();
  let tarError: unknown = null;
  let inputError: unknown = null;
  extract.on('error', (err: unknown) => {
    tarError ??= err;
  });
  tar.on('error', (err) => {
    inputError ??= err;
    extract.destroy(err);
  });
  tar.pipe(extract);
  try {
    for await (const entry of extract) await onEntry(entry.header as RawTarHeader, entry);
  } catch (err) {
    tar.unpipe(extract);
    tar.destroy();
    if (!extract.destroyed) {
      await new Promise((resolve) => {
        extract.once('close', () => resolve(undefined));
        extract.destroy();
      });
    }
    throw classify(err, inputError, tarError, words);
  }
}

function classify(err: unknown, inputError: unknown, tarError: unknown, words: TarErrorWords): Error {
  if (isBerthError(err)) return err;
  // The stream we read failed (network, decompression, digest check): the caller's error to type.
  if (inputError !== null) {
    if (isBerthError(inputError)) return inputError;
    return new SystemError(`${words.unreadable}: ${errorMessage(inputError)}`, { cause: inputError });
  }
  if (tarError !== null) {
    if (isBerthError(tarError)) return tarError;
    return new InvalidParameterError(`${words.invalid}: ${errorMessage(tarError)}`, { cause: tarError });
  }
  if (words.inconsistentCodes.includes(errnoCode(err) ?? '')) {
    return new InvalidParameterError(`${words.invalid}: ${errorMessage(err)}`, { cause: err });
  }
  return new SystemError(`${words.failed}: ${errorMessage(err)}`, { cause: err });
}
