import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError } from '../platform/errors.js';
import { UserService } from './user.service.js';
import type { Role } from './user.entity.js';
import { IS_PUBLIC, REQUIRED_ROLES, type AuthUser } from './auth.decorators.js';
import { TokenService } from './token.service.js';

/**
 * Every endpoint needs a valid bearer token unless marked @Public(); @Roles() narrows it further.
 * The user is re-read on each request (one primary-key read), so a deactivated user, a changed role or revoked
 * sessions (a newer token generation) take effect at once.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(UserService) private readonly users: UserService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: AuthUser }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token)
      throw new UnauthorizedException('a bearer token is required');
    const subject = this.tokens.verify(token);
    const user = subject ? await this.users.findSessionUser(subject.userId, subject.generation) : null;
    if (!user) throw new UnauthorizedException('the token is invalid or expired');
    request.user = { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles };

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (required && !required.some((role) => user.roles.includes(role))) {
      throw new ForbiddenError(`this needs one of the roles: ${required.join(', ')}`);
    }
    return true;
  }
}
