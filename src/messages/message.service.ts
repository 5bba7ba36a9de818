import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DefinitionService } from '../definitions/definition.service.js';
import { InstanceService } from '../instances/instance.service.js';
import { assertVariables } from '../instances/index.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import type { EntityManager } from 'typeorm';
import type { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import { MessageRepository, type NewMessage } from './message.repository.js';

export interface PublishedMessage {
  /** The stored message's key. */
  readonly messageKey: string;
  /** The instance it was delivered to, when a subscription waited; null when it was buffered (or dropped). */
  readonly correlatedTo: { readonly instanceId: string; readonly elementId: string } | null;
  readonly buffered: boolean;
}

/** A message correlated to the subscription that waited for it. */
export interface CorrelatedMessage {
  readonly messageKey: string;
  readonly correlatedTo: { readonly instanceId: string; readonly elementId: string };
}

/** The message id was used within its time to live (409). */
export class DuplicateMessageError extends ConflictError {}

/** How often a publish looks again when the subscription it found was taken meanwhile. */
const MAX_ATTEMPTS = 5;

/**
 * Publishes messages (Camunda 8 semantics): a message goes to exactly one subscription of its name and correlation
 * key, the oldest, or waits buffered until its time to live ends; a message id is published once within its
 * time to live. Two processes publishing at once never deliver one message twice nor lose one: the subscription is
 * taken under its instance's lock, and the buffer is written under the key's lock that subscriptions also take.
 */
@Injectable()
export class MessageService {
  constructor(
    @Inject(MessageRepository) private readonly messages: MessageRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(input: Omit<NewMessage, 'variables'> & { variables?: unknown }): Promise<PublishedMessage> {
    const variables = assertVariables(input.variables ?? {}, this.config.variablesMaxBytes, 'variables');
    const message: NewMessage = { ...input, variables };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await this.instances.transaction((manager) =>
        this.messages.firstSubscription(manager, message.name, message.correlationKey),
      );
      const outcome = found
        ? await this.deliver(message, found.instanceId, found.id, found.elementId, found.executionId)
        : await this.buffer(message);
      if (outcome) return outcome;
    }
    throw new ConflictError(
      `message ${message.name} (${message.correlationKey}): its subscriptions kept changing; publish it again`,
    );
  }

  /**
   * Deliver a message to the oldest subscription waiting for its name and key now; 404 when none waits. Nothing is
   * buffered: a wait that opens later does not get it.
   */
  async correlate(input: {
    name: string;
    correlationKey: string;
    variables?: unknown;
  }): Promise<CorrelatedMessage> {
    const variables = assertVariables(input.variables ?? {}, this.config.variablesMaxBytes, 'variables');
    const message: NewMessage = { ...input, variables, messageId: null, timeToLiveMs: 0 };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await this.instances.transaction((manager) =>
        this.messages.firstSubscription(manager, message.name, message.correlationKey),
      );
      if (!found) {
        throw new NotFoundError(
          `no instance waits for message ${message.name}${message.correlationKey ? ` with correlation key ${message.correlationKey}` : ''}`,
        );
      }
      const outcome = await this.deliver(
        message,
        found.instanceId,
        found.id,
        found.elementId,
        found.executionId,
      );
      if (outcome?.correlatedTo)
        return { messageKey: outcome.messageKey, correlatedTo: outcome.correlatedTo };
    }
    throw new ConflictError(
      `message ${message.name} (${message.correlationKey}): its subscriptions kept changing; correlate it again`,
    );
  }

  /** Deliver to one subscription under its instance's lock; undefined when another message took it first. */
  private async deliver(
    message: NewMessage,
    instanceId: string,
    subscriptionId: string,
    elementId: string,
    executionId: string,
  ): Promise<PublishedMessage | undefined> {
    try {
      return await this.instances.withInstanceLock(instanceId, async (manager, instance) => {
        await this.messages.lockKey(manager, message.name, message.correlationKey);
        await this.refuseDuplicate(manager, message);
        if (!(await this.messages.takeSubscription(manager, subscriptionId))) return undefined;
        const messageKey = await this.messages.insertMessage(manager, message, { instanceId, elementId });
        await this.instances.deliverMessage(
          manager,
          instance,
          { elementId, executionId },
          message.variables,
          {
            type: 'message.correlated',
            elementId,
            executionId,
            data: { messageKey, name: message.name, correlationKey: message.correlationKey },
          },
        );
        return { messageKey, correlatedTo: { instanceId, elementId }, buffered: false };
      });
    } catch (err) {
      if (err instanceof DuplicateMessageError) throw err;
      // The instance ended or went away since the subscription was read: look again.
      if (err instanceof ConflictError || err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Keep the message until its time to live ends, unless a subscription opened meanwhile (then: deliver). */
  private async buffer(message: NewMessage): Promise<PublishedMessage | undefined> {
    return this.instances.transaction(async (manager) => {
      await this.messages.lockKey(manager, message.name, message.correlationKey);
      if (await this.messages.firstSubscription(manager, message.name, message.correlationKey))
        return undefined;
      await this.refuseDuplicate(manager, message);
      // No instance waits for it: it starts one of each process whose message start event waits for its name, unless
      // an instance a message with this key started still runs (Camunda 8): then it stays buffered for when it ends.
      const starts = await this.definitions.startedByMessage(message.name, manager);
      let correlatedTo: PublishedMessage['correlatedTo'] = null;
      for (const definition of starts) {
        const key = message.correlationKey;
        if (key && (await this.instances.runsStartedWith(manager, definition.key, key))) continue;
        const { instance, elementId } = await this.startWith(manager, definition, message);
        correlatedTo ??= { instanceId: instance.id, elementId };
      }
      const messageKey = await this.messages.insertMessage(manager, message, correlatedTo);
      return { messageKey, correlatedTo, buffered: correlatedTo === null && message.timeToLiveMs > 0 };
    });
  }

  /** Start an instance of `definition` at its message start event for `message` (in the caller's transaction). */
  startWith(
    manager: EntityManager,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>,
    message: Pick<NewMessage, 'name' | 'correlationKey' | 'variables'>,
    buffered = false,
  ) {
    return this.instances.startByMessage(
      manager,
      definition,
      message.name,
      message.variables,
      (startId) => ({
        type: 'message.correlated',
        elementId: startId,
        data: {
          name: message.name,
          correlationKey: message.correlationKey,
          started: true,
          ...(buffered ? { buffered: true } : {}),
        },
      }),
      message.correlationKey,
    );
  }

  private async refuseDuplicate(
    manager: Parameters<MessageRepository['isDuplicate']>[0],
    message: NewMessage,
  ) {
    if (message.messageId && (await this.messages.isDuplicate(manager, message.name, message.messageId))) {
      throw new DuplicateMessageError(
        `a message ${message.name} with id ${message.messageId} was published already and has not expired`,
      );
    }
  }
}
