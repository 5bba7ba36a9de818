import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError, InvalidInputError, PayloadTooLargeError } from '../../platform/errors.js';
import { BlobTooLargeError, type PslStore } from './psl-store.js';

export interface ReceivedFile {
  readonly name: string;
  readonly mediaType: string;
  readonly sha256: string;
  readonly size: number;
  /** This upload wrote the blob (it was not in the library before): remove it again if the upload fails. */
  readonly created: boolean;
}

export const MAX_FILES_PER_UPLOAD = 20;

/**
 * Streams every file of a multipart form into the store (hashing as it goes), each capped at `maxBytes`.
 * Resolves when the whole form is read; on any failure the blobs this form created are handed to `discard`
 * and the first error is thrown (413 for a file over the cap).
 */
export async function receiveFiles(
  request: Request,
  store: PslStore,
  maxBytes: number,
  discard: (files: readonly ReceivedFile[]) => Promise<void>,
): Promise<ReceivedFile[]> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw new InvalidInputError('send the package files as multipart/form-data', [
      { field: 'file', message: 'is required' },
    ]);
  }
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes * MAX_FILES_PER_UPLOAD + 1024 * 1024) {
    throw new PayloadTooLargeError(`a package file may be at most ${maxBytes} bytes`);
  }

  const stored: ReceivedFile[] = [];
  const errors: unknown[] = [];
  const writes: Array<Promise<void>> = [];
  let tooMany = false;

  await new Promise<void>((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // One byte over the cap lets the store see (and refuse) a file that is too large; exactly the cap is taken.
        limits: { files: MAX_FILES_PER_UPLOAD, fileSize: maxBytes + 1, fields: 20, fieldSize: 64 * 1024 },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      errors.push(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      resolve();
      return;
    }
    /** The streams still feeding the store: each must fail (and its partial blob go) if the form breaks off. */
    const open = new Set<PassThrough>();
    let stopped = false;
    /** Stop reading the form after a failure: the files still streaming fail, the rest of the body is drained. */
    const stop = (error: Error) => {
      if (stopped) return;
      stopped = true;
      errors.push(error);
      request.unpipe(parser);
      request.resume();
      for (const proxy of open) proxy.destroy(error);
      resolve();
    };
    parser.on('file', (_field, stream, info) => {
      // A body cut short (or malformed later on) fails the file stream too: unhandled, that error ends the process.
      stream.on('error', (err: Error) =>
        stop(new InvalidInputError(`the upload broke off before the form ended: ${err.message}`)),
      );
      const name = safeName(info.filename);
      if (!name) {
        errors.push(
          new InvalidInputError(`"${info.filename}" is not a usable file name`, [
            { field: 'file', message: 'needs a file name without path or control characters' },
          ]),
        );
        stream.resume();
        return;
      }
      const limited = { hit: false };
      stream.on('limit', () => (limited.hit = true));
      // The store's pipeline destroys its source on failure; busboy's file stream must live on to be drained.
      const proxy = new PassThrough();
      // Destroyed with the form's error before the store has piped it: the failure is already recorded by stop().
      proxy.on('error', () => undefined);
      open.add(proxy);
      stream.pipe(proxy);
      writes.push(
        store
          .write(proxy, maxBytes, () => !limited.hit)
          .then((blob) => {
            stored.push({ name, mediaType: info.mimeType || 'application/octet-stream', ...blob });
          })
          .catch((err: unknown) => {
            errors.push(err);
            // A store that failed before reading (e.g. the disk) leaves the proxy full: drain the file without it.
            stream.unpipe(proxy);
            proxy.destroy();
            stream.resume();
          })
          .finally(() => open.delete(proxy)),
      );
    });
    parser.on('filesLimit', () => (tooMany = true));
    parser.on('error', (err: unknown) =>
      stop(new InvalidInputError(`not a readable multipart body: ${errorMessage(err)}`)),
    );
    parser.on('close', () => resolve());
    const aborted = () => stop(new InvalidInputError('the upload was aborted before the form ended'));
    request.on('aborted', aborted);
    request.on('error', aborted);
    request.pipe(parser);
  });
  await Promise.all(writes);

  if (tooMany) {
    errors.push(new InvalidInputError(`at most ${MAX_FILES_PER_UPLOAD} files per upload`));
  }
  if (errors.length === 0 && stored.length === 0) {
    errors.push(
      new InvalidInputError('the multipart form has no file', [{ field: 'file', message: 'is required' }]),
    );
  }
  const names = stored.map((f) => f.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) {
    errors.push(new InvalidInputError(`the form has two files named ${repeated[0]}`));
  }
  if (errors.length > 0) {
    await discard(stored);
    const tooLarge = errors.find((e) => e instanceof BlobTooLargeError);
    if (tooLarge) throw new PayloadTooLargeError(`a package file may be at most ${maxBytes} bytes`);
    const refused = errors.find((e) => e instanceof DomainError);
    if (refused) throw refused;
    // Anything else broke while the file was written (the disk, a stream): the upload is refused as a whole.
    throw new InvalidInputError(
      `the upload could not be stored, nothing was kept: ${errorMessage(errors[0])}`,
    );
  }
  return stored;
}

/** The file's own name: no directories, no control characters, at most 255 characters. */
function safeName(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const name = basename(raw.replace(/\\/g, '/')).trim();
  // eslint-disable-next-line no-control-regex
  if (!name || name === '.' || name === '..' || /[\u0000-\u001f\u007f]/.test(name) || name.length > 255) {
    return undefined;
  }
  return name;
}

/** An error's message without the machine's paths (a disk error names the file it failed on). */
function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/'[^']*[\\/][^']*'/g, "'<file>'");
}
