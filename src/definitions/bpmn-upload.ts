import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidInputError, PayloadTooLargeError } from '../platform/errors.js';
import { decodeXml } from '../platform/xml-text.js';

/**
 * The BPMN (or DMN) of a deploy or validate request as text: an XML body (already read as bytes, size-capped, by
 * the raw parser) or the first file of a multipart form, streamed with the same cap (`maxBytes`). The bytes are
 * read in the encoding the content type's charset or else the file's XML declaration names (UTF-8 by default).
 */
export async function readBpmnUpload(request: Request, body: unknown, maxBytes: number): Promise<string> {
  const type = request.headers['content-type'] ?? '';
  if (typeof body === 'string' && body.trim()) return body;
  if (Buffer.isBuffer(body) && body.toString('latin1').trim()) return xmlText(body, charsetOf(type));
  if (!type.startsWith('multipart/form-data')) {
    throw new InvalidInputError('send the BPMN as an application/xml body or as a multipart file', [
      { field: 'xml', message: 'is required' },
    ]);
  }
  return new Promise<string>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { files: 1, fileSize: maxBytes, fields: 10 },
      });
    } catch (err) {
      reject(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      return;
    }
    let settled = false;
    /** Refuse once, and drain the rest of the body so the connection can carry the answer. */
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      request.resume();
      reject(error);
    };
    let found = false;
    parser.on('file', (_name, stream) => {
      found = true;
      const chunks: Buffer[] = [];
      // A body cut short fails the file stream too: unhandled, that error ends the process.
      stream.on('error', (err: Error) =>
        fail(new InvalidInputError(`the upload broke off before the form ended: ${err.message}`)),
      );
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(new PayloadTooLargeError(`a BPMN file may be at most ${maxBytes} bytes`)),
      );
      stream.on('end', () => {
        if ((stream as { truncated?: boolean }).truncated || settled) return;
        settled = true;
        try {
          resolve(xmlText(Buffer.concat(chunks)));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    parser.on('error', (err: unknown) =>
      fail(new InvalidInputError(`not a readable multipart body: ${String(err)}`)),
    );
    parser.on('close', () => {
      if (!found)
        fail(
          new InvalidInputError('the multipart form has no file', [
            { field: 'file', message: 'is required' },
          ]),
        );
    });
    const aborted = () => fail(new InvalidInputError('the upload was aborted before the form ended'));
    request.on('aborted', aborted);
    request.on('error', aborted);
    request.pipe(parser);
  });
}

function xmlText(bytes: Buffer, charset?: string): string {
  const decoded = decodeXml(bytes, charset);
  if (decoded.problem !== undefined)
    throw new InvalidInputError(decoded.problem, [{ field: 'xml', message: decoded.problem }]);
  return decoded.text;
}

/** The charset parameter of a content type, when the sender named one. */
function charsetOf(contentType: string): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1];
}

/** One file of a multipart form, as text. */
export interface UploadedFile {
  /** The form field it came in. */
  readonly field: string;
  /** The name the sender gave it (its extension tells BPMN, DMN and forms apart). */
  readonly filename: string;
  readonly text: string;
}

/**
 * Every file of a multipart form (several resources of one deployment), streamed with a cap per file (`maxBytes`)
 * and on their number (`maxFiles`); a file over the cap is 413, a body that is not a readable form 400.
 */
export async function readUploadedFiles(
  request: Request,
  { maxBytes, maxFiles }: { maxBytes: number; maxFiles: number },
): Promise<UploadedFile[]> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw new InvalidInputError('send the resources as a multipart/form-data body', [
      { field: 'resources', message: 'is required' },
    ]);
  }
  return new Promise<UploadedFile[]>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { files: maxFiles, fileSize: maxBytes, fields: 10 },
      });
    } catch (err) {
      reject(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      return;
    }
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      request.unpipe(parser);
      request.resume();
      reject(error);
    };
    const files: Array<Promise<UploadedFile>> = [];
    parser.on('file', (field, stream, info) => {
      files.push(
        new Promise<UploadedFile>((done, failed) => {
          const chunks: Buffer[] = [];
          stream.on('error', (err: Error) =>
            failed(new InvalidInputError(`the upload broke off before the form ended: ${err.message}`)),
          );
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('limit', () =>
            failed(new PayloadTooLargeError(`${info.filename}: a resource may be at most ${maxBytes} bytes`)),
          );
          stream.on('end', () => {
            if ((stream as { truncated?: boolean }).truncated) return;
            try {
              done({ field, filename: info.filename ?? '', text: xmlOrJsonText(Buffer.concat(chunks)) });
            } catch (err) {
              failed(err as Error);
            }
          });
        }),
      );
      // Settled through the promise above; keep an early failure from being unhandled meanwhile.
      files[files.length - 1]!.catch(() => undefined);
    });
    parser.on('filesLimit', () =>
      fail(new PayloadTooLargeError(`a deployment may have at most ${maxFiles} resources`)),
    );
    parser.on('error', (err: unknown) =>
      fail(new InvalidInputError(`not a readable multipart body: ${String(err)}`)),
    );
    parser.on('close', () => {
      if (settled) return;
      Promise.all(files).then(
        (read) => {
          if (settled) return;
          settled = true;
          resolve(read);
        },
        (err: Error) => fail(err),
      );
    });
    const aborted = () => fail(new InvalidInputError('the upload was aborted before the form ended'));
    request.on('aborted', aborted);
    request.on('error', aborted);
    request.pipe(parser);
  });
}

/** XML by its declaration's encoding; anything else (a form's JSON) as UTF-8. */
function xmlOrJsonText(bytes: Buffer): string {
  return bytes.subarray(0, 200).toString('latin1').trimStart().startsWith('<')
    ? xmlText(bytes)
    : bytes.toString('utf8');
}
