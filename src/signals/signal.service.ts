import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { assertVariables } from '../instances/index.js';
import { InstanceService } from '../instances/instance.service.js';
import { ConflictError, DomainError, NotFoundError } from '../platform/errors.js';
import { SignalRepository } from './signal.repository.js';
import { DefinitionService } from '../definitions/definition.service.js';
import { topLevelStartEvents } from '../engine/index.js';

export interface BroadcastResult {
  /** Names this broadcast in the history of every instance it reached. */
  readonly signalKey: string;
  readonly name: string;
  /** The waits it triggered, by instance, and the instances it started (at their signal start events). */
  readonly triggered: ReadonlyArray<{ readonly instanceId: string; readonly elementId: string }>;
  /** Instances that could not go on with it (their transaction rolled back: they still wait). */
  readonly failed: ReadonlyArray<{ readonly instanceId: string; readonly message: string }>;
}

/** Instances read per statement while a broadcast walks them. */
const BATCH = 100;
const NO_INSTANCE = '00000000-0000-0000-0000-000000000000';

/**
 * Broadcasts signals (Camunda 8 semantics): every wait for the signal's name that is open when the broadcast starts
 * is triggered with its variables; nothing is kept for waits that open later. Each instance is taken under its own
 * row lock, in its own transaction, so one that cannot go on leaves the others reached and itself as it was.
 */
@Injectable()
export class SignalService {
  constructor(
    @Inject(SignalRepository) private readonly signals: SignalRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async broadcast(name: string, input: unknown): Promise<BroadcastResult> {
    const variables = assertVariables(input ?? {}, this.config.variablesMaxBytes, 'variables');
    const signalKey = randomUUID();
    const openedBy = await this.instances.transaction((manager) => this.signals.now(manager));
    const triggered: Array<{ instanceId: string; elementId: string }> = [];
    const failed: Array<{ instanceId: string; message: string }> = [];
    let after = NO_INSTANCE;
    for (;;) {
      const batch = await this.instances.transaction((manager) =>
        this.signals.waitingInstances(manager, name, openedBy, after, BATCH),
      );
      for (const instanceId of batch) {
        try {
          triggered.push(...(await this.trigger(instanceId, name, openedBy, variables, signalKey)));
        } catch (err) {
          // Ended or gone since it was read: nothing waits there any more.
          if (err instanceof ConflictError || err instanceof NotFoundError) continue;
          if (err instanceof DomainError) failed.push({ instanceId, message: err.message });
          else throw err;
        }
      }
      if (batch.length < BATCH) break;
      after = batch[batch.length - 1]!;
    }
    triggered.push(...(await this.startProcesses(name, variables, signalKey)));
    return { signalKey, name, triggered, failed };
  }

  /**
   * A signal start event starts an instance of the latest version of its process, one per process, each in its own
   * transaction (as each waiting instance is reached in its own), with the broadcast's variables.
   */
  private async startProcesses(name: string, variables: Record<string, unknown>, signalKey: string) {
    const started: Array<{ instanceId: string; elementId: string }> = [];
    const definitions = await this.instances.transaction((manager) =>
      this.definitions.startedBySignal(name, manager),
    );
    for (const definition of definitions) {
      const { instanceId, elementId } = await this.instances.transaction(async (manager) => {
        const process = await this.definitions.compiledFor(definition.id, manager);
        const start = topLevelStartEvents(process).find((e) => e.signal?.name === name);
        if (!start) throw new NotFoundError(`${definition.key} has no signal start event for ${name}`);
        const instance = await this.instances.startAt(manager, definition, start.id, variables, {
          type: 'signal.received',
          elementId: start.id,
          data: { signalKey, name, started: true },
        });
        return { instanceId: instance.id, elementId: start.id };
      });
      started.push({ instanceId, elementId });
    }
    return started;
  }

  /** Under the instance's lock: take its waits for the signal and complete each that still waits, in turn. */
  private async trigger(
    instanceId: string,
    name: string,
    openedBy: Date,
    variables: Record<string, unknown>,
    signalKey: string,
  ) {
    return this.instances.withInstanceLock(instanceId, async (manager, instance) => {
      const reached: Array<{ instanceId: string; elementId: string }> = [];
      for (const wait of await this.signals.takeSubscriptions(manager, instanceId, name, openedBy)) {
        // An earlier one may have ended the instance or withdrawn this wait (an interrupting boundary event).
        if (instance.status !== 'running') break;
        if (!instance.waits?.some((w) => w.executionId === wait.executionId)) continue;
        await this.instances.deliverSignal(
          manager,
          instance,
          { elementId: wait.elementId, executionId: wait.executionId },
          variables,
          {
            type: 'signal.received',
            elementId: wait.elementId,
            executionId: wait.executionId,
            data: { signalKey, name },
          },
        );
        reached.push({ instanceId, elementId: wait.elementId });
      }
      return reached;
    });
  }
}
