import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SignInThrottle } from '../identity/sign-in-throttle.service.js';
import { TokenService } from '../identity/token.service.js';
import type { UserEntity } from '../identity/user.entity.js';
import { UserService } from '../identity/user.service.js';

/** Who may pass: an administrator, anyone else, or a caller locked out after too many failed passwords. */
export type AdminCheck = { readonly admin: boolean } | { readonly retryAfterSeconds: number };

/**
 * For pages and scrapes outside the JSON API (bull-board, /metrics): an admin's bearer token, or an admin's
 * username and password over HTTP Basic so a browser can sign in. Basic passwords are throttled like the
 * API's login (same counters): otherwise this would be a side door for guessing.
 */
@Injectable()
export class AdminAuth {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(UserService) private readonly users: UserService,
    @Inject(SignInThrottle) private readonly throttle: SignInThrottle,
  ) {}

  /** `address` is the client's, for the per-address throttle of Basic passwords. */
  async check(authorization: string | undefined, address: string | undefined): Promise<AdminCheck> {
    const [scheme, credentials] = (authorization ?? '').split(' ');
    if (!credentials) return { admin: false };
    let user: Pick<UserEntity, 'roles'> | null | undefined;
    if (scheme?.toLowerCase() === 'bearer') {
      const subject = this.tokens.verify(credentials);
      user = subject ? await this.users.findSessionUser(subject.userId, subject.generation) : null;
    } else if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { admin: false };
      const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      const result = await this.throttle.attempt('queue-board', username, address, () =>
        this.users.verify(username, password),
      );
      if (result.outcome === 'throttled') return { retryAfterSeconds: result.retryAfterSeconds };
      user = result.outcome === 'signed-in' ? result.user : undefined;
    }
    return { admin: Boolean(user?.roles.includes('admin')) };
  }

  /** Express middleware: 401 with a Basic challenge unless the caller is an admin; 429 while locked out. */
  middleware() {
    return (request: Request, response: Response, next: NextFunction) => {
      this.check(request.headers.authorization, request.ip).then(
        (check) => {
          if ('retryAfterSeconds' in check) {
            response
              .status(429)
              .setHeader('Retry-After', String(check.retryAfterSeconds))
              .json({
                statusCode: 429,
                error: 'too many requests',
                message: `too many failed sign-ins: try again in ${check.retryAfterSeconds} s`,
              });
            return;
          }
          if (check.admin) return next();
          response
            .status(401)
            .setHeader('WWW-Authenticate', 'Basic realm="release-flow queues", charset="UTF-8"')
            .json({ statusCode: 401, error: 'unauthorized', message: 'sign in as an administrator' });
        },
        (err: unknown) => next(err),
      );
    };
  }
}
