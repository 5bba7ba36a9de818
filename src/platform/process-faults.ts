import { Logger } from '@nestjs/common';
import { ThrottledLog } from './throttled-log.js';

const REPEAT_WINDOW_MS = 30_000;

/**
 * A promise nobody awaited that rejects (a library's command failing while Redis is away) goes to the JSON log,
 * throttled, and the process keeps serving: by default Node would print a bare stack trace and exit.
 */
export function logProcessFaults(): void {
  const logger = new Logger('Process');
  const rejections = new ThrottledLog((message) => logger.error(message), REPEAT_WINDOW_MS);
  process.on('unhandledRejection', (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    const where = reason instanceof Error ? ` at ${reason.stack?.split('\n')[1]?.trim() ?? '?'}` : '';
    rejections.log(message, `unhandled rejection: ${message}${where}`);
  });
}
