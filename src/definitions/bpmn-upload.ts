import busboy from 'busboy';
import type { Request } from 'express';
import { InvalidInputError, PayloadTooLargeError } from '../common/errors.js';
import { MAX_BPMN_BYTES } from './definition.service.js';

/**
 * The BPMN of a deploy or validate request: an XML body (already read, size-capped, by the text parser) or
 * the first file of a multipart form, streamed with the same cap.
 */
export async function readBpmnUpload(request: Request, body: unknown): Promise<string> {
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
        limits: { files: 1, fileSize: MAX_BPMN_BYTES, fields: 10 },
      });
    } catch (err) {
      reject(new InvalidInputError(`not a readable multipart body: ${String(err)}`));
      return;
    }
    let found = false;
    parser.on('file', (_name, stream) => {
      found = true;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        request.unpipe(parser);
        request.resume();
        reject(new PayloadTooLargeError(`a BPMN file may be at most ${MAX_BPMN_BYTES} bytes`));
      });
      stream.on('end', () => {
        if (!(stream as { truncated?: boolean }).truncated) resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    parser.on('error', (err: unknown) =>
      reject(new InvalidInputError(`not a readable multipart body: ${String(err)}`)),
    );
    parser.on('close', () => {
      if (!found)
        reject(
          new InvalidInputError('the multipart form has no file', [
            { field: 'file', message: 'is required' },
          ]),
        );
    });
    request.pipe(parser);
  });
}
