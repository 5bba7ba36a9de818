import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { UserEntity } from './user.entity.js';
import { BoundedMap } from '../common/bounded-map.js';

interface Claims {
  sub: string;
  username: string;
  /** The user's token generation when signed; tokens from before generations existed count as 0. */
  gen: number;
}

/** What a valid token says: whose it is and the generation it was signed in. */
export interface TokenSubject {
  readonly userId: string;
  readonly generation: number;
}

/** Checked tokens a process keeps in memory until they expire. */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Signs and checks access tokens (HS256 JWT with an expiry). */
@Injectable()
export class TokenService {
  /**
   * A key object, not the string: given a string, jsonwebtoken first tries it as a PEM public key and catches
   * the failure, on every sign and check (about a millisecond each).
   */
  private readonly secret: KeyObject;
  /**
   * Tokens whose signature and claims were checked, with their expiry (seconds): a client sends the same token
   * with every request, and checking it again (decode, HMAC, claims) cost more than a map lookup. The whole token
   * is the key, so only that exact signed token hits; the oldest entry goes first past the bound.
   */
  private readonly verified = new BoundedMap<string, { subject: TokenSubject; exp: number }>(
    VERIFIED_TOKENS_KEPT,
  );

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (config.jwtSecret) {
      this.secret = createSecretKey(Buffer.from(config.jwtSecret));
    } else {
      // Only the zero-setup start gets here (loadConfig requires JWT_SECRET with DATABASE_URL): one process.
      this.secret = createSecretKey(randomBytes(48));
      new Logger(TokenService.name).warn('JWT_SECRET is not set: tokens are signed with a per-process key');
    }
  }

  sign(user: Pick<UserEntity, 'id' | 'username' | 'tokenGeneration'>): {
    accessToken: string;
    expiresIn: number;
  } {
    const expiresIn = this.config.jwtTtlSeconds;
    const claims: Omit<Claims, 'sub'> = { username: user.username, gen: user.tokenGeneration };
    const accessToken = jwt.sign(claims, this.secret, {
      subject: user.id,
      expiresIn,
      algorithm: 'HS256',
    });
    return { accessToken, expiresIn };
  }

  /** Who the token was issued to, or undefined for a bad or expired token, or one without an expiry. */
  verify(token: string): TokenSubject | undefined {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's own expiry rule: expired from the second `exp` on.
      if (Math.floor(Date.now() / 1000) < known.exp) return known.subject;
      this.verified.delete(token);
      return undefined;
    }
    try {
      const claims = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
      if (typeof claims !== 'object' || typeof claims.sub !== 'string') return undefined;
      // jsonwebtoken accepts a token without exp as never expiring: such a token is refused.
      if (typeof claims.exp !== 'number') return undefined;
      const generation = (claims as Partial<Claims>).gen ?? 0;
      if (!Number.isSafeInteger(generation)) return undefined;
      const subject = { userId: claims.sub, generation };
      // A token with a start time (this service signs none) is checked every time.
      if (claims.nbf === undefined) this.verified.set(token, { subject, exp: claims.exp });
      return subject;
    } catch {
      return undefined;
    }
  }
}
