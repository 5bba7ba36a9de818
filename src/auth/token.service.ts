import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

interface Claims {
  sub: string;
  username: string;
}

/** Signs and checks access tokens (HS256 JWT with an expiry). */
@Injectable()
export class TokenService {
  private readonly secret: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.jwtSecret) {
      this.secret = config.jwtSecret;
    } else {
      this.secret = randomBytes(48).toString('base64url');
      new Logger(TokenService.name).warn('JWT_SECRET is not set: tokens are signed with a per-process key');
    }
  }

  sign(userId: string, username: string): { accessToken: string; expiresIn: number } {
    const expiresIn = this.config.jwtTtlSeconds;
    const accessToken = jwt.sign({ username } satisfies Omit<Claims, 'sub'>, this.secret, {
      subject: userId,
      expiresIn,
      algorithm: 'HS256',
    });
    return { accessToken, expiresIn };
  }

  /** The user id the token was issued to, or undefined for a bad or expired token. */
  verify(token: string): string | undefined {
    try {
      const claims = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
      return typeof claims === 'object' && typeof claims.sub === 'string' ? claims.sub : undefined;
    } catch {
      return undefined;
    }
  }
}
