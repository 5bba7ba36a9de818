import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController, UsersController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { IdentityModule } from './identity.module.js';

/**
 * Sign-in, users and the guard every route passes (the API process only). Workers import IdentityModule alone:
 * users and tokens without HTTP.
 */
@Module({
  imports: [IdentityModule],
  controllers: [AuthController, UsersController],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
})
export class IdentityApiModule {}
