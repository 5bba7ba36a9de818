import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DefinitionService } from '../definitions/definition.service.js';
import type { InstanceBefore, InstanceListener } from '../instances/instance.events.js';
import { InstanceService } from '../instances/instance.service.js';
import type { ProcessInstanceEntity } from '../instances/process-instance.entity.js';
import { MessageRepository } from './message.repository.js';
import { MessageService } from './message.service.js';

/**
 * One running instance per process and correlation key for message start events (Camunda 8): a message with the key
 * of a running instance a message started waits buffered; when that instance ends, the oldest such message still
 * within its time to live starts the next one, in the same transaction.
 */
@Injectable()
export class MessageStartsListener implements InstanceListener, OnModuleInit {
  constructor(
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(MessageRepository) private readonly messages: MessageRepository,
    @Inject(MessageService) private readonly publisher: MessageService,
  ) {}

  onModuleInit(): void {
    this.instances.addListener(this);
  }

  async onInstanceSaved(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    previous: InstanceBefore,
  ): Promise<void> {
    if (previous.status !== 'running' || instance.status === 'running') return;
    // Read with the instance under its lock: no statement of its own.
    const key = instance.startCorrelationKey;
    if (!key) return;
    const latest = await this.definitions.latest(instance.processKey, manager);
    if (latest.messageStarts.length === 0) return;
    // The key's lock, as a publish takes it: a message buffered meanwhile is committed before it is looked for.
    for (const name of latest.messageStarts) await this.messages.lockKey(manager, name, key);
    const message = await this.messages.oldestBuffered(manager, latest.messageStarts, key);
    if (!message) return;
    const started = await this.publisher.startWith(manager, latest, message, true);
    await this.messages.markCorrelated(manager, message.id, started.instance.id, started.elementId);
  }
}
