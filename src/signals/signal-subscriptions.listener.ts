import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { InstanceListener, WaitChange } from '../instances/instance.events.js';
import { InstanceService } from '../instances/instance.service.js';
import { SignalRepository } from './signal.repository.js';

/**
 * Subscriptions follow the instances' signal waits, in the instance's transaction: a signal catch or boundary event
 * that opens subscribes under its signal's name; one that closes, however it closed, unsubscribes.
 */
@Injectable()
export class SignalSubscriptionsListener implements InstanceListener, OnModuleInit {
  constructor(
    @Inject(SignalRepository) private readonly signals: SignalRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
  ) {}

  onModuleInit(): void {
    this.instances.addListener(this);
  }

  async onWaitsChanged(manager: EntityManager, change: WaitChange): Promise<void> {
    const { instance } = change;
    const closed = (change.closedWaits ?? []).filter((w) => w.kind === 'signal').map((w) => w.executionId);
    await this.signals.deleteSubscriptions(manager, instance.id, closed);
    const opened = (change.openedWaits ?? []).flatMap((wait) =>
      wait.kind === 'signal' && wait.element?.signal
        ? [
            {
              instanceId: instance.id,
              elementId: wait.elementId,
              executionId: wait.executionId,
              signalName: wait.element.signal.name,
            },
          ]
        : [],
    );
    await this.signals.insertSubscriptions(manager, opened);
  }
}
