import { Global, Module } from '@nestjs/common';
import { UserRepository } from './user.repository.js';
import { UserService } from './user.service.js';
import { SignInMetrics } from './sign-in.metrics.js';
import { SignInThrottle } from './sign-in-throttle.service.js';
import { TokenService } from './token.service.js';
import { UserEntity } from './user.entity.js';

/** Users, tokens and the sign-in throttle, without HTTP: controllers and the guard are IdentityApiModule's. */
@Global()
@Module({
  providers: [UserService, UserRepository, TokenService, SignInThrottle, SignInMetrics],
  exports: [UserService, TokenService, SignInThrottle],
})
export class IdentityModule {}

/** The users' table, registered with the data source by the composition root. */
export const IDENTITY_ENTITIES = [UserEntity];
