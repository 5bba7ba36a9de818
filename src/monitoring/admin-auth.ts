import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { TokenService } from '../auth/token.service.js';
import { UserService } from '../users/user.service.js';

/**
 * For pages and scrapes outside the JSON API (bull-board, /metrics): an admin's bearer token, or an admin's
 * username and password over HTTP Basic so a browser can sign in.
 */
@Injectable()
export class AdminAuth {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(UserService) private readonly users: UserService,
  ) {}

  async isAdmin(authorization: string | undefined): Promise<boolean> {
    const [scheme, credentials] = (authorization ?? '').split(' ');
    if (!credentials) return false;
    let user;
    if (scheme?.toLowerCase() === 'bearer') {
      const id = this.tokens.verify(credentials);
      user = id ? await this.users.findActive(id) : null;
    } else if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      user = await this.users.verify(decoded.slice(0, colon), decoded.slice(colon + 1));
    }
    return Boolean(user?.roles.includes('admin'));
  }

  /** Express middleware: 401 with a Basic challenge unless the caller is an admin. */
  middleware() {
    return (request: Request, response: Response, next: NextFunction) => {
      this.isAdmin(request.headers.authorization).then(
        (ok) => {
          if (ok) return next();
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
