import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
  /** false: the same content was already in the library, nothing new was written. */
  readonly created: boolean;
}

/** The stream was longer than the cap; nothing of it is kept. */
export class BlobTooLargeError extends Error {}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The product library's files, content-addressed: `<PSL_DIR>/sha256/ab/abcdef…`. A file is streamed to a
 * temporary name while it is hashed and counted, then renamed to its hash; identical content is stored once.
 * Nothing is left behind when a stream fails or runs over the cap.
 */
@Injectable()
export class PslStore {
  private readonly root: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = resolve(config.serviceTasks.pslDir);
  }

  /**
   * @param complete asked once the stream has ended: false (the sender's stream was cut short, e.g. by a
   *   multipart size limit) discards the file and fails with BlobTooLargeError.
   */
  async write(source: Readable, maxBytes: number, complete: () => boolean = () => true): Promise<StoredBlob> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxBytes) {
          callback(new BlobTooLargeError(`the file is larger than ${maxBytes} bytes`));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
      if (!complete()) throw new BlobTooLargeError(`the file is larger than ${maxBytes} bytes`);
      const sha256 = hash.digest('hex');
      const target = this.pathOf(sha256);
      await mkdir(join(target, '..'), { recursive: true });
      if (await exists(target)) {
        await rm(tmp, { force: true });
        return { sha256, size, created: false };
      }
      await rename(tmp, target);
      return { sha256, size, created: true };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  open(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  /** The SHA-256 of what is on disk now, and its size; undefined when the file is gone. */
  async rehash(sha256: string): Promise<{ sha256: string; size: number } | undefined> {
    const path = this.pathOf(sha256);
    if (!(await exists(path))) return undefined;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  async size(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return undefined;
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
