import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UserRepository } from './user.repository.js';
import { UserService } from './user.service.js';
import { AuthController, UsersController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { SignInMetrics } from './sign-in.metrics.js';
import { SignInThrottle } from './sign-in-throttle.service.js';
import { TokenService } from './token.service.js';
import { UserEntity } from './user.entity.js';

@Global()
@Module({
  controllers: [AuthController, UsersController],
  providers: [
    UserService,
    UserRepository,
    TokenService,
    SignInThrottle,
    SignInMetrics,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [UserService, TokenService, SignInThrottle],
})
export class AuthModule {}

/** The users' table, registered with the data source by the composition root. */
export const IDENTITY_ENTITIES = [UserEntity];
