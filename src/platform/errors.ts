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
