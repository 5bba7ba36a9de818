import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Role } from './user.entity.js';

/** Who is calling: set on the request by the auth guard. */
export interface AuthUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
}

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_ROLES = 'auth:roles';
export const BASIC_ACCEPTED = 'auth:basic';

/** No token needed (login, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * HTTP Basic (a user's username and password) is accepted beside the bearer token: for the Camunda 8 REST API,
 * whose clients and Modeler sign in that way against a self-managed cluster. The passwords are throttled as the
 * login's are.
 */
export const BasicAuthAccepted = () => SetMetadata(BASIC_ACCEPTED, true);

/** Only users with one of these roles may call the endpoint. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthUser => {
  return context.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

export function hasRole(user: AuthUser, ...roles: Role[]): boolean {
  return roles.some((role) => user.roles.includes(role));
}
