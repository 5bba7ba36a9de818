import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidInputError, PayloadTooLargeError } from '../platform/errors.js';

/**
 * The BPMN of a deploy or validate request: an XML body (already read, size-capped, by the text parser) or
 * the first file of a multipart form, streamed with the same cap (`maxBytes`).
 */
export async function readBpmnUpload(request: Request, body: unknown, maxBytes: number): Promise<string> {
  const type = request.headers['content-type'] ?? '';
  if (typeof body === 'string' && body.trim()) return body;
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
        resolve(Buffer.concat(chunks).toString('utf8'));
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
