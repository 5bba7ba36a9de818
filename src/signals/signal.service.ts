import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { assertVariables } from '../instances/index.js';
import { InstanceService } from '../instances/instance.service.js';
import { isDatabaseUnavailable } from '../platform/database/errors.js';
import { ConflictError, DomainError, NotFoundError, UnprocessableError } from '../platform/errors.js';
import { SignalRepository } from './signal.repository.js';
import { DefinitionService } from '../definitions/definition.service.js';
import { topLevelStartEvents } from '../engine/index.js';

export interface BroadcastResult {
  /** Names this broadcast in the history of every instance it reached. */
  readonly signalKey: string;
  readonly name: string;
  /** The waits it triggered, by instance, and the instances it started (at their signal start events). */
  readonly triggered: ReadonlyArray<{ readonly instanceId: string; readonly elementId: string }>;
  /**
   * What could not take it, each left as it was (its transaction rolled back): a waiting instance (it still waits),
   * or a process whose signal start event could not start an instance (none was made). The message is the refusal's,
   * or `internal error` for an unexpected failure (its detail is in the log only).
   */
  readonly failed: readonly BroadcastFailure[];
}

export type BroadcastFailure =
  | { readonly instanceId: string; readonly message: string }
  | { readonly processId: string; readonly elementId: string; readonly message: string };

/** Instances read per statement while a broadcast walks them. */
const BATCH = 100;
const NO_INSTANCE = '00000000-0000-0000-0000-000000000000';

/**
 * Broadcasts signals (Camunda 8 semantics): every wait for the signal's name that is open when the broadcast starts
 * is triggered with its variables, and every signal start event starts an instance; nothing is kept for waits that
 * open later. Each instance is taken (or started) under its own row lock, in its own transaction, so one that cannot
 * go on, for whatever reason (a refusal or an unexpected error), leaves the others reached (each committed as it is
 * reached, so a crash midway keeps them) and itself as it was, named in `failed` and in the log. As in Camunda 8, one
 * subscriber's failure does not take the signal from the others; only when it reached none and some failed is the
 * broadcast refused (422, naming each).
 */
@Injectable()
export class SignalService {
  private readonly logger = new Logger(SignalService.name);

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
    const failed: BroadcastFailure[] = [];
    /** Failures because PostgreSQL could not be reached: a broadcast that reached no one for them may be retried. */
    const outages: unknown[] = [];
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
          if (isDatabaseUnavailable(err)) outages.push(err);
          failed.push({ instanceId, message: this.reason(err, `instance ${instanceId}`, name, signalKey) });
        }
      }
      if (batch.length < BATCH) break;
      after = batch[batch.length - 1]!;
    }
    triggered.push(...(await this.startProcesses(name, variables, signalKey, failed, outages)));
    for (const failure of failed)
      this.logger.warn(
        `signal ${name} (${signalKey}) could not reach ${'instanceId' in failure ? `instance ${failure.instanceId}` : `the start event ${failure.elementId} of ${failure.processId}`}: ${failure.message}`,
      );
    // Reached no one because the database was away: 503, to be retried, not a refusal of the signal.
    if (triggered.length === 0 && outages.length > 0) throw outages[0];
    if (triggered.length === 0 && failed.length > 0)
      throw new UnprocessableError(
        `signal ${name} reached no one: ${failed.map((f) => f.message).join('; ')}`,
        failed.map((f) => ({
          field: 'instanceId' in f ? `instance ${f.instanceId}` : `${f.processId}.${f.elementId}`,
          message: f.message,
        })),
      );
    return { signalKey, name, triggered, failed };
  }

  /**
   * A signal start event starts an instance of the latest version of its process, one per process, each in its own
   * transaction (as each waiting instance is reached in its own), with the broadcast's variables.
   */
  private async startProcesses(
    name: string,
    variables: Record<string, unknown>,
    signalKey: string,
    failed: BroadcastFailure[],
    outages: unknown[],
  ) {
    const started: Array<{ instanceId: string; elementId: string }> = [];
    const definitions = await this.instances.transaction((manager) =>
      this.definitions.startedBySignal(name, manager),
    );
    for (const definition of definitions) {
      let elementId = '';
      try {
        const instanceId = await this.instances.transaction(async (manager) => {
          const process = await this.definitions.compiledFor(definition.id, manager);
          const start = topLevelStartEvents(process).find((e) => e.signal?.name === name);
          if (!start) throw new NotFoundError(`${definition.key} has no signal start event for ${name}`);
          elementId = start.id;
          const instance = await this.instances.startAt(manager, definition, start.id, variables, {
            type: 'signal.received',
            elementId: start.id,
            data: { signalKey, name, started: true },
          });
          return instance.id;
        });
        started.push({ instanceId, elementId });
      } catch (err) {
        // Its transaction rolled back: no instance of it was made; the other processes still start.
        if (isDatabaseUnavailable(err)) outages.push(err);
        failed.push({
          processId: definition.key,
          elementId,
          message: this.reason(err, `the start event ${elementId} of ${definition.key}`, name, signalKey),
        });
      }
    }
    return started;
  }

  /**
   * What `failed` says of one subscriber's failure: a refusal's own message; for an unexpected error (a defect, a
   * lost connection) only `internal error`, its detail and stack in the log, as the error filter does for a 500.
   */
  private reason(err: unknown, subscriber: string, name: string, signalKey: string): string {
    if (err instanceof DomainError) return err.message;
    this.logger.error(
      `signal ${name} (${signalKey}) failed unexpectedly at ${subscriber}: ${err instanceof Error ? err.message : String(err)}`,
      err instanceof Error ? err.stack : undefined,
    );
    return 'internal error';
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
