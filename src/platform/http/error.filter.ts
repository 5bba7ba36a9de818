import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
  TooManyRequestsError,
  PayloadTooLargeError,
  UnprocessableError,
} from '../errors.js';
import { isDatabaseUnavailable } from '../database/errors.js';

/** What a 503 tells the client to wait before trying again: a PostgreSQL restart takes about this long. */
export const RETRY_AFTER_SECONDS = 2;

const STATUS_OF: ReadonlyArray<[new (...args: never[]) => DomainError, number]> = [
  [InvalidInputError, HttpStatus.BAD_REQUEST],
  [NotFoundError, HttpStatus.NOT_FOUND],
  [ConflictError, HttpStatus.CONFLICT],
  [ForbiddenError, HttpStatus.FORBIDDEN],
  [PayloadTooLargeError, HttpStatus.PAYLOAD_TOO_LARGE],
  [UnprocessableError, HttpStatus.UNPROCESSABLE_ENTITY],
  [NotImplementedError, HttpStatus.NOT_IMPLEMENTED],
  [TooManyRequestsError, HttpStatus.TOO_MANY_REQUESTS],
];

/**
 * The key of `response.locals` a surface sets to 'problem' to have its errors leave as problem details
 * (`application/problem+json`: type, title, status, detail, instance) instead of the native shape.
 */
export const ERROR_FORMAT = 'errorFormat';

/** Problem titles as Camunda's gateway names them. */
const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'INVALID_STATE',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'INVALID_STATE',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL_ERROR',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
};

/** Every error leaves as `{ statusCode, error, message, details? }` (problem details where a surface asks). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorFilter.name);

  catch(thrown: unknown, host: ArgumentsHost): void {
    const exception = original(thrown);
    const response = host.switchToHttp().getResponse<Response>();
    let statusCode: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    let details: unknown;

    if (exception instanceof DomainError) {
      statusCode = STATUS_OF.find(([type]) => exception instanceof type)?.[1] ?? HttpStatus.BAD_REQUEST;
      message = exception.message;
      details = exception.details;
      if (exception instanceof TooManyRequestsError)
        response.setHeader('retry-after', String(exception.retryAfterSeconds));
    } else if (exception instanceof HttpException) {
      statusCode = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      // A failed health check says which part is down.
      const health = body as {
        status?: unknown;
        details?: Record<string, { status?: string; message?: string }>;
      };
      if (health?.status === 'error' && health.details) {
        const down = Object.entries(health.details).filter(([, d]) => d.status !== 'up');
        message = `not ready: ${down.map(([name, d]) => `${name} is down${d.message ? ` (${d.message})` : ''}`).join(', ')}`;
        details = health.details;
      }
    } else if (isClientError(exception)) {
      // body-parser and the router (a path that is not valid percent-encoded UTF-8) say what was wrong.
      statusCode = exception.status;
      message =
        exception.type === 'entity.too.large'
          ? 'the request body is too large'
          : exception.type === 'entity.parse.failed'
            ? 'the request body is not valid JSON'
            : exception.expose !== false && typeof exception.message === 'string'
              ? exception.message
              : 'the request is not valid';
    } else if (isDatabaseUnavailable(exception)) {
      // A PostgreSQL restart or failover: nothing was committed, and the same request will work shortly.
      statusCode = HttpStatus.SERVICE_UNAVAILABLE;
      message = 'the database is not reachable right now, or did not answer in time; retry shortly';
      this.logger.warn(
        `database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
    } else {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }

    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE) {
      response.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
    }
    const error = HttpStatus[statusCode]?.toString().replace(/_/g, ' ').toLowerCase() ?? 'error';
    if (response.locals?.[ERROR_FORMAT] === 'problem') {
      // RFC 9457 problem details, as the Camunda 8 REST API answers.
      const request = host.switchToHttp().getRequest<Request>();
      response
        .status(statusCode)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: PROBLEM_TITLES[statusCode] ?? error.toUpperCase().replace(/ /g, '_'),
            status: statusCode,
            detail: message,
            instance: request.originalUrl?.split('?')[0] ?? request.url,
            ...(details ? { details } : {}),
          }),
        );
      return;
    }
    response.status(statusCode).json({
      statusCode,
      error,
      message,
      ...(details ? { details } : {}),
    });
  }
}

/**
 * The express adapter wraps an error a middleware passed on (body-parser's, the router's, a DomainError
 * from body-parser's verify hook) in an HttpException: judge the error itself, which says more.
 */
function original(exception: unknown): unknown {
  if (!(exception instanceof HttpException)) return exception;
  const cause = exception.cause;
  return cause instanceof DomainError || isClientError(cause) ? cause : exception;
}

/** A 4xx from body-parser (http-errors) or the express router (a URIError it marked 400). */
function isClientError(
  err: unknown,
): err is { status: number; type?: string; expose?: boolean; message?: unknown } {
  if (typeof err !== 'object' || err === null) return false;
  const { status, type, expose } = err as { status?: unknown; type?: unknown; expose?: unknown };
  const fromParser = typeof type === 'string' || typeof expose === 'boolean' || err instanceof URIError;
  return fromParser && typeof status === 'number' && status >= 400 && status < 500;
}
