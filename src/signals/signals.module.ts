import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { InstancesModule } from '../instances/instances.module.js';
import { SignalRepository } from './signal.repository.js';
import { SignalService } from './signal.service.js';
import { SignalSubscriptionsListener } from './signal-subscriptions.listener.js';
import { SignalThrowHandler } from './signal-throw.handler.js';

/**
 * Signals and their subscriptions: a broadcast triggers every instance waiting for its name; a signal throw or end
 * event broadcasts through its built-in job.
 */
@Module({
  imports: [InstancesModule, DefinitionsModule],
  providers: [
    { provide: SignalRepository, useValue: new SignalRepository() },
    SignalService,
    SignalSubscriptionsListener,
    SignalThrowHandler,
  ],
  exports: [SignalService],
})
export class SignalsModule {}
