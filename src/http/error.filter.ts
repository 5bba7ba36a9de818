import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  UnprocessableError,
} from '../common/errors.js';

const STATUS_OF: ReadonlyArray<[new (...args: never[]) => DomainError, number]> = [
  [InvalidInputError, HttpStatus.BAD_REQUEST],
  [NotFoundError, HttpStatus.NOT_FOUND],
  [ConflictError, HttpStatus.CONFLICT],
  [ForbiddenError, HttpStatus.FORBIDDEN],
  [PayloadTooLargeError, HttpStatus.PAYLOAD_TOO_LARGE],
  [UnprocessableError, HttpStatus.UNPROCESSABLE_ENTITY],
];

/** Every error leaves as `{ statusCode, error, message, details? }`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    let statusCode: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    let details: unknown;

    if (exception instanceof DomainError) {
      statusCode = STATUS_OF.find(([type]) => exception instanceof type)?.[1] ?? HttpStatus.BAD_REQUEST;
      message = exception.message;
      details = exception.details;
    } else if (exception instanceof HttpException) {
      statusCode = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      // A failed health check says which part is down.
      const health = body as { status?: unknown; details?: Record<string, { status?: string }> };
      if (health?.status === 'error' && health.details) {
        const down = Object.entries(health.details).filter(([, d]) => d.status !== 'up');
        message = `not ready: ${down.map(([name]) => `${name} is down`).join(', ')}`;
        details = health.details;
      }
    } else if (isBodyParserError(exception)) {
      statusCode = exception.status;
      message =
        exception.type === 'entity.too.large'
          ? 'the request body is too large'
          : 'the request body is not valid JSON';
    } else {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }

    response.status(statusCode).json({
      statusCode,
      error: HttpStatus[statusCode]?.toString().replace(/_/g, ' ').toLowerCase() ?? 'error',
      message,
      ...(details ? { details } : {}),
    });
  }
}

function isBodyParserError(err: unknown): err is { status: number; type: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { status?: unknown }).status === 'number' &&
    typeof (err as { type?: unknown }).type === 'string'
  );
}
