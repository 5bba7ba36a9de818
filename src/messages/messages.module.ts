import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { InstancesModule } from '../instances/instances.module.js';
import { MessageRepository } from './message.repository.js';
import { MessageService } from './message.service.js';
import { MessageSubscriptionsListener } from './message-subscriptions.listener.js';
import { MessageStartsListener } from './message-starts.listener.js';

/** Messages and their subscriptions: correlation of published messages to waiting instances. */
@Module({
  imports: [InstancesModule, DefinitionsModule],
  providers: [
    { provide: MessageRepository, useValue: new MessageRepository() },
    MessageService,
    MessageSubscriptionsListener,
    MessageStartsListener,
  ],
  exports: [MessageService],
})
export class MessagesModule {}
