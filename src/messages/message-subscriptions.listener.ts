import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { evaluateFeel, FeelError, isFeel } from '../engine/index.js';
import type { FollowUp, InstanceListener, WaitChange } from '../instances/instance.events.js';
import { InstanceService } from '../instances/instance.service.js';
import { UnprocessableError } from '../platform/errors.js';
import { MessageRepository } from './message.repository.js';

/**
 * Subscriptions follow the instances' message waits, in the instance's transaction: a message catch event or
 * receive task that opens subscribes under its message name and the correlation key its FEEL gives now; one that
 * closes unsubscribes. A message published before the wait opened (buffered, within its time to live) is taken
 * at once: the wait completes in the same transaction.
 */
@Injectable()
export class MessageSubscriptionsListener implements InstanceListener, OnModuleInit {
  constructor(
    @Inject(MessageRepository) private readonly messages: MessageRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.instances.addListener(this);
  }

  async onWaitsChanged(manager: EntityManager, change: WaitChange): Promise<readonly FollowUp[]> {
    const { instance } = change;
    const closed = (change.closedWaits ?? []).filter((w) => w.kind === 'message').map((w) => w.executionId);
    await this.messages.deleteSubscriptions(manager, instance.id, closed);

    const followUps: FollowUp[] = [];
    const subscribe = [];
    for (const wait of change.openedWaits ?? []) {
      const message = wait.element?.message;
      // A message start event is not subscribed: the message that starts the instance is delivered to it at once.
      // An event sub-process's start is: it waits while its scope runs.
      const processStart = wait.element?.type === 'bpmn:StartEvent' && !wait.element.eventSubProcess;
      if (wait.kind !== 'message' || !message || processStart) continue;
      // The key sees what the wait sees: its local variables (a sub-process's scope, an inner instance's element)
      // over the process's.
      const correlationKey = this.correlationKey(wait.elementId, message.correlationKey, {
        ...change.variables,
        ...wait.variables,
      });
      await this.messages.lockKey(manager, message.name, correlationKey);
      const buffered = await this.messages.takeBuffered(
        manager,
        message.name,
        correlationKey,
        instance.id,
        wait.elementId,
      );
      if (buffered) {
        followUps.push({
          elementId: wait.elementId,
          executionId: wait.executionId,
          variables: buffered.variables,
          history: {
            type: 'message.correlated',
            elementId: wait.elementId,
            executionId: wait.executionId,
            data: { messageKey: buffered.id, name: message.name, correlationKey, buffered: true },
          },
        });
        continue;
      }
      subscribe.push({
        instanceId: instance.id,
        elementId: wait.elementId,
        executionId: wait.executionId,
        messageName: message.name,
        correlationKey,
      });
    }
    await this.messages.insertSubscriptions(manager, subscribe);
    return followUps;
  }

  /** Camunda 8's rule: the key is the FEEL expression's value now, a string or a number. */
  private correlationKey(
    elementId: string,
    expression: string | undefined,
    variables: Record<string, unknown>,
  ): string {
    if (expression === undefined || expression.trim() === '') return '';
    let value: unknown = expression;
    if (isFeel(expression)) {
      try {
        value = evaluateFeel(expression, variables, this.config.feel.evaluationTimeoutMs);
      } catch (err) {
        throw new UnprocessableError(
          `${elementId}: the correlation key cannot be evaluated: ${err instanceof FeelError ? err.message : String(err)}`,
        );
      }
    }
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
      return String(value);
    throw new UnprocessableError(
      `${elementId}: the correlation key ${expression} must give a string or a number, not ${value === null ? 'null' : typeof value}`,
    );
  }
}
