import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidInputError, PayloadTooLargeError } from '../common/errors.js';
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

  await new Promise<void>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // One byte over the cap lets the store see (and refuse) a file that is too large; exactly the cap is taken.
        limits: { files: MAX_FILES_PER_UPLOAD, fileSize: maxBytes + 1, fields: 20, fieldSize: 64 * 1024 },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      reject(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      return;
    }
    parser.on('file', (_field, stream, info) => {
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
      stream.pipe(proxy);
      writes.push(
        store
          .write(proxy, maxBytes, () => !limited.hit)
          .then((blob) => {
            stored.push({ name, mediaType: info.mimeType || 'application/octet-stream', ...blob });
          })
          .catch((err: unknown) => {
            errors.push(err);
            stream.resume();
          }),
      );
    });
    parser.on('filesLimit', () => (tooMany = true));
    parser.on('error', (err: unknown) => {
      request.unpipe(parser);
      request.resume();
      errors.push(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      resolve();
    });
    parser.on('close', () => resolve());
    request.on('aborted', () => {
      errors.push(new InvalidInputError('the upload was aborted'));
      resolve();
    });
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
    throw errors[0];
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
