import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { SignalRepository } from './signal.repository.js';
import { SignalService } from './signal.service.js';
import { SignalSubscriptionsListener } from './signal-subscriptions.listener.js';

/** Signals and their subscriptions: a broadcast triggers every instance waiting for its name. */
@Module({
  imports: [InstancesModule],
  providers: [
    { provide: SignalRepository, useValue: new SignalRepository() },
    SignalService,
    SignalSubscriptionsListener,
  ],
  exports: [SignalService],
})
export class SignalsModule {}
