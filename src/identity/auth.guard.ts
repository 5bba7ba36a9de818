import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, signInThrottled } from '../platform/errors.js';
import { UserService } from './user.service.js';
import type { Role } from './user.entity.js';
import type { SessionUser } from './session-cache.js';
import { BASIC_ACCEPTED, IS_PUBLIC, REQUIRED_ROLES, type AuthUser } from './auth.decorators.js';
import { SignInThrottle } from './sign-in-throttle.service.js';
import { TokenService } from './token.service.js';
import { BoundedMap } from '../common/bounded-map.js';

/** A Basic credential checked once is trusted this long (its user is still re-read on every request). */
const BASIC_CACHE_MS = 60_000;
/** At most this many remembered credentials: the oldest are forgotten first. */
const BASIC_CACHE_SIZE = 1000;

interface HttpRequest {
  headers: Record<string, string | undefined>;
  ip?: string;
  user?: AuthUser;
}

/**
 * Every endpoint needs a valid bearer token unless marked @Public(); @Roles() narrows it further.
 * The user is read by primary key, or taken from the session cache when this process read it within
 * SESSION_CACHE_TTL_MS: a deactivated user, a changed role or revoked sessions (a newer token generation) take
 * effect at once when changed through this process, and within that time when changed through another.
 * Endpoints marked @BasicAuthAccepted() take HTTP Basic too: the password is checked (throttled as at the login)
 * and, once it matched, remembered for a minute by its hash with the user's token generation, so a worker's polls
 * do not pay bcrypt each; a password change or sign-out everywhere moves the generation and ends that.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly basic = new BoundedMap<string, { userId: string; generation: number; until: number }>(
    BASIC_CACHE_SIZE,
  );

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(UserService) private readonly users: UserService,
    @Inject(SignInThrottle) private readonly throttle: SignInThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<HttpRequest>();
    const basicAccepted = this.reflector.getAllAndOverride<boolean>(BASIC_ACCEPTED, targets) ?? false;
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    let user: SessionUser | null;
    if (basicAccepted && scheme?.toLowerCase() === 'basic' && token) {
      user = await this.basicUser(token, request.ip);
      if (!user) throw new UnauthorizedException('wrong username or password');
    } else {
      if (scheme?.toLowerCase() !== 'bearer' || !token)
        throw new UnauthorizedException(
          basicAccepted
            ? 'a bearer token or HTTP Basic credentials are required'
            : 'a bearer token is required',
        );
      const subject = this.tokens.verify(token);
      user = subject ? await this.users.findSessionUser(subject.userId, subject.generation) : null;
      if (!user) throw new UnauthorizedException('the token is invalid or expired');
    }
    request.user = {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      roles: [...user.roles],
    };

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (required && !required.some((role) => user.roles.includes(role))) {
      throw new ForbiddenError(`this needs one of the roles: ${required.join(', ')}`);
    }
    return true;
  }

  /** The user of a Basic credential (base64 of username:password), or null when it does not sign in. */
  private async basicUser(credentials: string, address: string | undefined): Promise<SessionUser | null> {
    const digest = createHash('sha256').update(credentials).digest('base64url');
    const remembered = this.basic.get(digest);
    if (remembered && remembered.until > Date.now()) {
      const user = await this.users.findSessionUser(remembered.userId, remembered.generation);
      if (user) return user;
    }
    this.basic.delete(digest);
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return null;
    const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const result = await this.throttle.attempt('camunda-api', username, address, () =>
      this.users.verify(username, password),
    );
    if (result.outcome === 'throttled') {
      throw signInThrottled(result.retryAfterSeconds);
    }
    if (result.outcome !== 'signed-in') return null;
    this.basic.set(digest, {
      userId: result.user.id,
      generation: result.user.tokenGeneration,
      until: Date.now() + BASIC_CACHE_MS,
    });
    return result.user;
  }
}
