/** Domain errors: services throw these; the HTTP layer maps them to status codes. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: readonly FieldError[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the input is wrong; nothing was changed. */
export class InvalidInputError extends DomainError {}
/** 404 */
export class NotFoundError extends DomainError {}
/** 409: the thing is in a state that does not allow it (already completed, version exists, ...). */
export class ConflictError extends DomainError {}
/** 403 */
export class ForbiddenError extends DomainError {}
/** 413 */
export class PayloadTooLargeError extends DomainError {}
/** 422: well-formed, but the process cannot go on with it (for example no gateway path matches). */
export class UnprocessableError extends DomainError {}
/** 501: a part of an API this service does not offer (named in the message). */
export class NotImplementedError extends DomainError {}
/** 429: the caller must wait this many seconds (sent as Retry-After) before trying again. */
export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** 429 for a sign-in throttled by too many failures: the one wording of every surface. */
export const signInThrottled = (retryAfterSeconds: number): TooManyRequestsError =>
  new TooManyRequestsError(
    `too many failed sign-ins: try again in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
