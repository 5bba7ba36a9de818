import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '../platform/errors.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { FaultInjector } from '../platform/fault-injector.js';
import { withSavepoint } from '../platform/database/savepoint.js';
import { assertSize, assertVariables } from './json-variables.js';
import { DefinitionService } from '../definitions/definition.service.js';
import type { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import {
  EngineHost,
  EngineRunError,
  withVariables,
  type CompiledProcess,
  type EngineCommand,
  type EngineRun,
  type LiveEngineCacheStats,
  topLevelStartEvents,
} from '../engine/index.js';
import { MetricsRegistry } from '../platform/metrics.js';
import type { JsonObject } from '../platform/json.js';
import type { IncidentEntity, IncidentErrorType } from './incident.entity.js';
import type { FollowUp, InstanceListener, OpenedUserTask, WaitChange } from './instance.events.js';
import {
  InstanceRepository,
  joinWrites,
  type HistoryRecord,
  type MoreWrites,
} from './instance.repository.js';
import type { JobEntity } from '../queue/job.entity.js';
import { JobRepository, OutboxRelay, type NewJob } from '../queue/index.js';
import { ProcessInstanceEntity, type StoredWait } from './process-instance.entity.js';

/** The user task whose wait is completed, as its history records it. */
export interface CompletedUserTask {
  readonly taskId: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly name: string | null;
  readonly formKey: string | null;
}

export interface StartOptions {
  readonly businessKey?: string | null;
  readonly actor?: string | null;
  /** Start variables that tasks and jobs may not overwrite. */
  readonly readOnlyVariables?: readonly string[];
  /** For a call activity's child: the calling instance and its wait. */
  readonly parent?: { readonly instanceId: string; readonly executionId: string; readonly callDepth: number };
  /** The version to start, resolved by the caller; the latest of the process when not given. */
  readonly definition?: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>;
  /**
   * The top-level start event that was triggered (message, timer, signal) and what its history records; without
   * it the process's plain start event starts it.
   */
  readonly trigger?: { readonly startEventId: string; readonly history: HistoryRecord };
  /** A message start event's correlation key: one running instance per process and key (Camunda 8). */
  readonly startCorrelationKey?: string;
  /**
   * Whether the caller may start this version (a starter-group check): asked of the version that starts, again when
   * a deploy elsewhere made another one the latest. Throws to refuse; nothing is written then.
   */
  readonly authorize?: (
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>,
    manager: EntityManager,
  ) => Promise<void>;
}

/**
 * Advances process instances. Every change follows one path: lock the instance row, rebuild the engine from
 * the stored state, apply one command, run to the next wait, and save state, tasks, jobs, outbox and history
 * in the same transaction. After commit the outbox relay puts the new jobs on their queues.
 */
@Injectable()
export class InstanceService {
  private readonly listeners: InstanceListener[] = [];
  /** The engine runs each open transaction saved, to keep or drop their live engines when it ends. */
  private readonly savedRuns = new WeakMap<EntityManager, SavedRun[]>();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(InstanceRepository) private readonly repository: InstanceRepository,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(EngineHost) private readonly engine: EngineHost,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FaultInjector) private readonly faults: FaultInjector,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(MetricsRegistry) metrics: MetricsRegistry,
  ) {
    const host = this.engine;
    metrics.gauge({
      name: 'release_flow_engine_cache',
      help:
        'Live-engine cache of this process: lookups by result (hit, miss, stale: another process moved the instance on), ' +
        'evictions, entries and estimated bytes (counts since start)',
      labelNames: ['figure'],
      collect() {
        for (const [figure, value] of Object.entries(host.cacheStats())) this.set({ figure }, value);
      },
    });
  }

  /** The live-engine cache's figures (hits, misses, evictions): the bench and the metrics read them. */
  engineCacheStats(): LiveEngineCacheStats {
    return this.engine.cacheStats();
  }

  /** Records that follow their instance (a release's status) register here. */
  addListener(listener: InstanceListener): void {
    this.listeners.push(listener);
  }

  /**
   * Run work in a transaction; after commit, hand the outbox to the relay and keep the engines of the runs it saved
   * (at the revision saved); when it does not commit, drop them.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    let written: EntityManager | undefined;
    const runs: SavedRun[] = [];
    let result: T;
    try {
      result = await this.dataSource.transaction((manager) => {
        written = manager;
        this.savedRuns.set(manager, runs);
        return work(manager);
      });
    } catch (err) {
      for (const saved of runs) this.engine.discard(saved.run);
      throw err;
    }
    this.faults.crashIfArmed('after-commit');
    for (const saved of runs) this.engine.keep(saved.run, saved.revision);
    if (written) this.relay.afterCommit(written);
    return result;
  }

  /**
   * Start an instance of the latest version of a process, inside the caller's transaction. The latest version comes
   * from what this process last saw without a read; the instance's insert checks that no newer version exists and,
   * when one does (a deploy in another process), writes nothing and the start runs again on the version now latest.
   */
  async startIn(
    manager: EntityManager,
    processKey: string,
    variables: Record<string, unknown>,
    options: StartOptions = {},
  ): Promise<ProcessInstanceEntity> {
    const checked = () => assertVariables(variables, this.config.variablesMaxBytes, 'variables');
    // Who may not start the process is refused before their variables are looked at.
    let input = options.authorize ? undefined : checked();
    for (let attempt = 0; ; attempt++) {
      const definition =
        options.definition ?? (await this.definitions.latestKnown(processKey, manager, attempt > 0));
      await options.authorize?.(definition, manager);
      input ??= checked();
      try {
        return await this.startOn(manager, definition, processKey, input, options);
      } catch (err) {
        if (!(err instanceof NewerDefinitionError) || attempt >= MAX_START_ATTEMPTS) throw err;
      }
    }
  }

  private async startOn(
    manager: EntityManager,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>,
    processKey: string,
    input: JsonObject,
    options: StartOptions,
  ): Promise<ProcessInstanceEntity> {
    if (!options.trigger) await this.assertPlainStart(manager, definition);
    const instance = Object.assign(new ProcessInstanceEntity(), {
      id: randomUUID(),
      definitionId: definition.id,
      processKey,
      businessKey: options.businessKey ?? null,
      status: 'running',
      endStatus: null,
      engineState: null,
      variables: input,
      waits: [],
      readOnlyVariables: [...(options.readOnlyVariables ?? [])],
      revision: 0,
      endedAt: null,
      parentInstanceId: options.parent?.instanceId ?? null,
      parentExecutionId: options.parent?.executionId ?? null,
      startCorrelationKey: null as string | null,
    } satisfies Partial<ProcessInstanceEntity>);
    const started: HistoryRecord = {
      type: 'instance.started',
      actor: options.actor,
      data: {
        processKey,
        version: definition.version,
        variables: input,
        ...(options.parent ? { parentInstanceId: options.parent.instanceId } : {}),
      },
    };
    await this.advance(
      manager,
      instance,
      { type: 'start', variables: input, startEventId: options.trigger?.startEventId },
      options.actor ?? null,
      {
        leading: options.trigger ? [started, options.trigger.history] : [started],
        isNew: true,
        callDepth: options.parent?.callDepth ?? 0,
        startedByParent: options.parent !== undefined,
        // A version the caller named is started as it is; the latest is checked by the insert.
        latestVersion: options.definition ? undefined : definition.version,
      },
    );
    if (options.startCorrelationKey && instance.status === 'running') {
      await this.repository.setStartCorrelationKey(manager, instance.id, options.startCorrelationKey);
      instance.startCorrelationKey = options.startCorrelationKey;
    }
    return instance;
  }

  /**
   * Whether an instance of `processKey` started by a message with this correlation key still runs: then a message
   * with the key starts no other (Camunda 8).
   */
  async runsStartedWith(
    manager: EntityManager,
    processKey: string,
    correlationKey: string,
  ): Promise<boolean> {
    return this.repository.runsStartedWith(manager, processKey, correlationKey);
  }

  /** "Create instance" runs the plain start event: a process without one starts by its triggers only (400). */
  private async assertPlainStart(
    manager: EntityManager,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key'>,
  ): Promise<void> {
    const process = await this.definitions.compiledFor(definition.id, manager);
    const starts = topLevelStartEvents(process);
    if (starts.length === 0 || starts.some((s) => s.eventDefinitions.length === 0)) return;
    throw new InvalidInputError(
      `process ${definition.key} has no plain start event: it starts when its ${starts
        .map((s) => s.eventDefinitions.map((d) => d.replace(/^bpmn:|EventDefinition$/g, '').toLowerCase()))
        .join(', ')} start event is triggered, not by creating an instance`,
      [{ field: 'processId', message: 'has no plain start event' }],
    );
  }

  async start(processKey: string, variables: Record<string, unknown>, options: StartOptions = {}) {
    return this.transaction((manager) => this.startIn(manager, processKey, variables, options));
  }

  /**
   * Run `work` in one transaction holding the instance's row lock; 404 when the instance does not exist, 409
   * when it is no longer running. Records that belong to an instance (its tasks) change under this lock.
   */
  async withInstanceLock<T>(
    instanceId: string,
    work: (manager: EntityManager, instance: ProcessInstanceEntity) => Promise<T>,
  ): Promise<T> {
    return this.transaction(async (manager) => work(manager, await this.lockRunning(manager, instanceId)));
  }

  /** Append to an instance's history (its audit trail), in the caller's transaction. */
  async recordHistory(manager: EntityManager, instanceId: string, records: readonly HistoryRecord[]) {
    await this.repository.appendHistory(manager, instanceId, records);
  }

  /**
   * A user task was completed with `data`: record it and continue the instance from its wait. Call under
   * `withInstanceLock`, after the task's owner has closed its row.
   */
  async completeTask(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    task: CompletedUserTask,
    data: unknown,
    actor: string | null,
  ): Promise<void> {
    const variables = assertVariables(data, this.config.variablesMaxBytes, 'data');
    assertWritable(instance, variables, 'data');
    const completed: HistoryRecord = {
      type: 'task.completed',
      elementId: task.elementId,
      elementName: task.name,
      executionId: task.executionId,
      actor,
      data: { taskId: task.taskId, formKey: task.formKey, output: variables },
    };
    await this.advance(
      manager,
      instance,
      { type: 'complete', elementId: task.elementId, executionId: task.executionId, variables },
      actor,
      { leading: [completed] },
    );
  }

  /**
   * A published message reached a wait of the locked instance (its subscription taken by the caller): record it
   * and go on from there.
   */
  async deliverMessage(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    wait: { readonly elementId: string; readonly executionId: string },
    variables: Record<string, unknown>,
    record: HistoryRecord,
  ): Promise<void> {
    assertWritable(instance, variables, 'variables');
    await this.advance(manager, instance, { type: 'complete', ...wait, variables }, null, {
      leading: [record],
    });
  }

  /** A broadcast signal reached a wait of the locked instance (its subscription taken by the caller). */
  async deliverSignal(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    wait: { readonly elementId: string; readonly executionId: string },
    variables: Record<string, unknown>,
    record: HistoryRecord,
  ): Promise<void> {
    await this.deliverMessage(manager, instance, wait, variables, record);
  }

  /**
   * Set top-level variables of the locked, running instance between passes: merged into its variables and into
   * every copy the stored engine state keeps, at a new revision, so no live engine holding the old values is used
   * again. Read-only variables are refused; the history records the old and new values.
   */
  async updateVariables(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    changes: unknown,
    actor: string | null,
  ): Promise<void> {
    const variables = assertVariables(changes, this.config.variablesMaxBytes, 'variables');
    assertWritable(instance, variables, 'variables');
    const merged = { ...instance.variables, ...variables };
    assertSize(merged, this.config.variablesMaxBytes, 'process variables');
    if (!instance.engineState) throw new ConflictError(`process instance ${instance.id} has no engine state`);
    const previous = { variables: instance.variables, status: instance.status };
    const before: Record<string, unknown> = {};
    for (const key of Object.keys(variables)) before[key] = instance.variables[key] ?? null;

    this.engine.forget(instance.id);
    instance.engineState = withVariables(instance.engineState as never, variables) as never;
    instance.variables = merged as JsonObject;
    instance.revision += 1;
    await this.repository.saveInstance(manager, instance, [
      { type: 'variables.updated', actor, data: { variables, previous: before } as JsonObject },
    ]);
    for (const listener of this.listeners) await listener.onInstanceSaved?.(manager, instance, previous);
  }

  /**
   * A published message starts an instance through its message start event: the instance starts (its engine waits
   * at that event) and the message is delivered to it at once, in the caller's transaction.
   */
  async startByMessage(
    manager: EntityManager,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>,
    messageName: string,
    variables: Record<string, unknown>,
    record: (elementId: string) => HistoryRecord,
    correlationKey = '',
  ): Promise<{ instance: ProcessInstanceEntity; elementId: string }> {
    const process = await this.definitions.compiledFor(definition.id, manager);
    const start = topLevelStartEvents(process).find((e) => e.message?.name === messageName);
    if (!start)
      throw new UnprocessableError(`${definition.key} has no message start event for ${messageName}`);
    const instance = await this.startIn(manager, definition.key, variables, {
      definition,
      trigger: { startEventId: start.id, history: record(start.id) },
      ...(correlationKey ? { startCorrelationKey: correlationKey } : {}),
    });
    return { instance, elementId: start.id };
  }

  /**
   * Start an instance at one of its top-level start events (a timer or signal start), in the caller's transaction:
   * only that start event starts, with `variables`.
   */
  async startAt(
    manager: EntityManager,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>,
    startEventId: string,
    variables: Record<string, unknown>,
    history: HistoryRecord,
  ): Promise<ProcessInstanceEntity> {
    return this.startIn(manager, definition.key, variables, {
      definition,
      trigger: { startEventId, history },
    });
  }

  /** A worker finished a job: record it and continue the instance. A second report of the same job changes nothing. */
  async completeJob(
    jobId: string,
    variables: Record<string, unknown> = {},
    outcome: Record<string, unknown> = {},
  ): Promise<'completed' | 'duplicate'> {
    return this.transaction((manager) => this.completeJobIn(manager, jobId, variables, outcome));
  }

  /**
   * `completeJob` inside the caller's transaction (run it through `transaction`, so the relay hears of the commit):
   * a handler that only writes to the database commits its effect and the completion together.
   */
  async completeJobIn(
    manager: EntityManager,
    jobId: string,
    variables: Record<string, unknown> = {},
    outcome: Record<string, unknown> = {},
  ): Promise<'completed' | 'duplicate'> {
    const locked = await this.repository.lockWithJob(manager, jobId);
    if (!locked) throw new NotFoundError(`job ${jobId} does not exist`);
    const { instance, job } = locked;
    // Read under the job's row lock: of two reports, the second finds the job the first completed.
    if (instance.status !== 'running' || job.status !== 'pending') return 'duplicate';
    // Checked once the job is found pending: a repeated report of a finished job is a duplicate, whatever it carries.
    assertSize({ variables, outcome }, this.config.variablesMaxBytes, 'job result');
    assertWritable(instance, variables, 'job result');
    const completed: HistoryRecord = {
      type: 'job.completed',
      elementId: job.elementId,
      executionId: job.executionId,
      data: {
        jobId: job.id,
        jobType: job.jobType,
        attempts: job.attempts + 1,
        variables,
        outcome,
      } as JsonObject,
    };
    // The job's completion is written by the pass's own save statement: one round trip for both.
    await this.advance(
      manager,
      instance,
      { type: 'complete', elementId: job.elementId, executionId: job.executionId, variables },
      null,
      { leading: [completed], also: this.jobs.completionWrite(job.id, { variables, outcome } as JsonObject) },
    );
    return 'completed';
  }

  /**
   * A job attempt failed (`attempt`: its number, already counted on the job row by the worker). When retries have
   * run out the job becomes an incident and the instance waits.
   */
  async failJob(jobId: string, error: string, attempt: number, final: boolean): Promise<void> {
    await this.transaction((manager) => this.failJobIn(manager, jobId, error, attempt, final));
  }

  /** `failJob` inside the caller's transaction, under the instance's lock (an external worker's failure). */
  async failJobIn(
    manager: EntityManager,
    jobId: string,
    error: string,
    attempt: number,
    final: boolean,
  ): Promise<void> {
    const instance = await this.repository.lockOfJob(manager, jobId);
    const job = await this.jobs.find(manager, jobId);
    if (!instance || instance.status !== 'running' || !job || job.status !== 'pending') return;

    job.error = error.slice(0, 4000);
    const history: HistoryRecord[] = [
      {
        type: 'job.failed',
        elementId: job.elementId,
        executionId: job.executionId,
        data: { jobId: job.id, jobType: job.jobType, attempt, error: job.error },
      },
    ];
    if (final) {
      job.status = 'failed';
      history.push(await this.openIncident(manager, instance, job, 'JOB_NO_RETRIES', job.error, attempt));
    }
    await this.jobs.save(manager, job);
    await this.repository.appendHistory(manager, instance.id, history);
  }

  /**
   * A job's work ended in a BPMN error (Camunda 8's "throw error" of a job worker): the nearest error event that
   * catches `errorCode` takes over (a boundary on the task or an enclosing sub-process, or an error end inside);
   * when none catches it, the job fails and an incident says which code found no catch.
   */
  async throwJobError(
    jobId: string,
    errorCode: string,
    errorMessage: string,
    variables: Record<string, unknown> = {},
  ): Promise<'caught' | 'incident' | 'duplicate'> {
    return this.transaction((manager) =>
      this.throwJobErrorIn(manager, jobId, errorCode, errorMessage, variables),
    );
  }

  /** `throwJobError` inside the caller's transaction (run it through `transaction`: the relay hears of the commit). */
  async throwJobErrorIn(
    manager: EntityManager,
    jobId: string,
    errorCode: string,
    errorMessage: string,
    variables: Record<string, unknown> = {},
  ): Promise<'caught' | 'incident' | 'duplicate'> {
    const input = assertVariables(variables, this.config.variablesMaxBytes, 'variables');
    const instance = await this.repository.lockOfJob(manager, jobId);
    if (!instance) throw new NotFoundError(`job ${jobId} does not exist`);
    const job = await this.jobs.find(manager, jobId);
    if (instance.status !== 'running' || !job || job.status !== 'pending') return 'duplicate';
    assertWritable(instance, input, 'variables');
    const thrown: HistoryRecord = {
      type: 'job.error-thrown',
      elementId: job.elementId,
      executionId: job.executionId,
      data: { jobId: job.id, jobType: job.jobType, errorCode, errorMessage: errorMessage.slice(0, 4000) },
    };
    // In a savepoint: when nothing catches the error, whatever the attempt wrote is undone before the incident.
    try {
      await withSavepoint(manager, async () => {
        job.status = 'completed';
        job.result = { variables: input, outcome: { errorCode, errorMessage } } as JsonObject;
        job.completedAt = this.clock.now();
        await this.advance(
          manager,
          instance,
          {
            type: 'throw',
            elementId: job.elementId,
            executionId: job.executionId,
            errorCode,
            errorMessage,
            variables: input,
          },
          null,
          { leading: [thrown] },
        );
        await this.jobs.save(manager, job);
      });
      return 'caught';
    } catch (err) {
      if (!(err instanceof UnprocessableError)) throw err;
      job.status = 'failed';
      job.error =
        `error code "${errorCode}" was thrown (${errorMessage}) but no error event catches it`.slice(0, 4000);
      job.result = null;
      job.completedAt = null;
      const opened = await this.openIncident(
        manager,
        instance,
        job,
        'UNHANDLED_ERROR_EVENT',
        job.error,
        job.attempts,
      );
      await this.jobs.save(manager, job);
      await this.repository.appendHistory(manager, instance.id, [thrown, opened]);
      return 'incident';
    }
  }

  /** A timer's delayed job arrived: wake the instance so the engine completes every expired timer. */
  async fireTimer(jobId: string): Promise<'fired' | 'early' | 'duplicate'> {
    return this.transaction(async (manager) => {
      const instance = await this.repository.lockOfJob(manager, jobId);
      const job = await this.jobs.find(manager, jobId);
      if (!instance || instance.status !== 'running' || !job || job.status !== 'pending') return 'duplicate';
      if (job.dueAt && job.dueAt > this.clock.now()) {
        // Delivered before it is due (clock skew): queue the wake-up again for the rest of the time.
        await this.jobs.enqueue(manager, job);
        return 'early';
      }

      const run = await this.advance(manager, instance, { type: 'wake', due: [job.executionId] }, null);
      if (run.waits.some((w) => w.executionId === job.executionId)) {
        throw new Error(`timer ${job.elementId} of instance ${instance.id} is due but the engine kept it`);
      }
      return 'fired';
    });
  }

  /**
   * Put an incident's job back on its queue with fresh retries. An incident whose element was left (its job
   * cancelled or done, its wait gone, its instance ended: rows from before such incidents were resolved with their
   * element) is resolved instead, and the answer is a conflict that says why: nothing is revived.
   */
  async retryIncident(incidentId: string, actor: string | null): Promise<IncidentEntity> {
    const outcome = await this.transaction(async (manager) => {
      const { instance, incident, job } = await this.lockOpenIncident(manager, incidentId);
      const stale = await this.resolveIfStale(manager, instance, incident, job, actor);
      if (stale) return stale;
      if (!job) return this.evaluateAgain(manager, instance, incident, 'retried', actor);

      await this.markResolved(manager, instance, incident, 'retried', actor);
      job.status = 'pending';
      job.attempts = 0;
      job.error = null;
      await this.jobs.save(manager, job);
      await this.jobs.enqueue(manager, job);
      await this.repository.appendHistory(manager, instance.id, [
        {
          type: 'incident.retried',
          elementId: job.elementId,
          executionId: job.executionId,
          actor,
          data: { incidentId: incident.id, jobId: job.id, jobType: job.jobType },
        },
      ]);
      return incident;
    });
    return answerOf(outcome);
  }

  /**
   * Resolve an incident by hand: the operator did (or waived) the job's work, so the job counts as done and the
   * instance goes on past it. Use retry instead when the job should run again. An incident whose element was left
   * is resolved without going on, and the answer is a conflict that says why (as for a retry).
   */
  async resolveIncident(incidentId: string, comment: string, actor: string | null): Promise<IncidentEntity> {
    const outcome = await this.transaction(async (manager) => {
      const { instance, incident, job } = await this.lockOpenIncident(manager, incidentId);
      const stale = await this.resolveIfStale(manager, instance, incident, job, actor);
      if (stale) return stale;
      if (!job) return this.evaluateAgain(manager, instance, incident, comment, actor);

      await this.markResolved(manager, instance, incident, comment, actor);
      job.status = 'completed';
      job.result = { variables: {}, outcome: { resolvedManually: true, comment } };
      job.completedAt = this.clock.now();
      await this.jobs.save(manager, job);
      const resolved: HistoryRecord = {
        type: 'incident.resolved',
        elementId: job.elementId,
        executionId: job.executionId,
        actor,
        data: { incidentId: incident.id, jobId: job.id, jobType: job.jobType, comment },
      };
      await this.advance(
        manager,
        instance,
        { type: 'complete', elementId: job.elementId, executionId: job.executionId, variables: {} },
        actor,
        { leading: [resolved] },
      );
      return incident;
    });
    return answerOf(outcome);
  }

  /**
   * Why an open incident can no longer be retried or resolved by going on, if it cannot: its instance ended, its
   * job was cancelled or completed, or its element no longer waits. Such an incident is resolved here (its element
   * was left) and the reason comes back.
   */
  private async resolveIfStale(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    incident: IncidentEntity,
    job: JobEntity | undefined,
    actor: string | null,
  ): Promise<StaleIncident | undefined> {
    const executionId = incident.executionId ?? job?.executionId;
    const reason =
      instance.status !== 'running'
        ? `its process instance is ${instance.status}`
        : job && job.status !== 'failed'
          ? `its job was ${job.status}`
          : instance.waits && !instance.waits.some((w) => w.executionId === executionId)
            ? `its element ${incident.elementId} no longer waits`
            : undefined;
    if (!reason) return undefined;
    await this.markResolved(manager, instance, incident, `${ELEMENT_LEFT}: ${reason}`, actor);
    await this.repository.appendHistory(manager, instance.id, [
      {
        type: 'incident.resolved',
        elementId: incident.elementId,
        executionId: executionId ?? undefined,
        actor,
        data: {
          incidentId: incident.id,
          ...(job ? { jobId: job.id, jobType: job.jobType } : {}),
          reason: ELEMENT_LEFT,
          comment: reason,
        },
      },
    ]);
    return { stale: `incident ${incident.id} has nothing to retry: ${reason} (it is resolved now)` };
  }

  /** Mark an open incident resolved, when and by whom, and count it off its instance. */
  private async markResolved(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    incident: IncidentEntity,
    comment: string,
    actor: string | null,
  ): Promise<void> {
    incident.resolvedAt = this.clock.now();
    incident.resolvedBy = actor;
    incident.comment = comment;
    await this.repository.resolveIncident(manager, incident);
    instance.openIncidents = Math.max(instance.openIncidents - 1, 0);
  }

  /** Stop a running instance: open tasks and pending jobs are withdrawn; its history stays. */
  async cancelIn(
    manager: EntityManager,
    instanceId: string,
    reason: string,
    actor: string | null,
  ): Promise<void> {
    const instance = await this.lockRunning(manager, instanceId);
    const previous = { variables: instance.variables, status: instance.status };
    this.engine.forget(instanceId);
    // The instances its call activities started go first.
    for (const childId of await this.repository.runningChildren(manager, instanceId))
      await this.cancelIn(manager, childId, `the calling instance was cancelled: ${reason}`, actor);
    const openWaits = await this.openUserTaskWaits(manager, instanceId);
    const jobs = await this.jobs.pending(manager, instanceId);
    await this.notifyWaits(manager, {
      instance,
      variables: instance.variables,
      opened: [],
      closed: { executionIds: [...openWaits], status: 'cancelled' },
      closedWaits: instance.waits ?? [],
    });
    await this.jobs.finishJobs(
      manager,
      jobs.map((j) => j.id),
      'cancelled',
    );
    await this.repository.resolveOpenIncidents(manager, instanceId, `instance cancelled: ${reason}`, actor);
    instance.openIncidents = 0;
    instance.status = 'cancelled';
    instance.endStatus = 'cancelled';
    instance.endedAt = this.clock.now();
    instance.waits = [];
    instance.revision += 1;
    await this.repository.saveInstance(manager, instance, [
      { type: 'instance.cancelled', actor, data: { reason } },
    ]);
    for (const listener of this.listeners) await listener.onInstanceSaved?.(manager, instance, previous);
  }

  /** The user-task waits the listeners hold open for an instance (the task inbox's open rows). */
  private async openUserTaskWaits(manager: EntityManager, instanceId: string): Promise<Set<string>> {
    const open = new Set<string>();
    for (const listener of this.listeners) {
      for (const executionId of (await listener.openWaits?.(manager, instanceId)) ?? [])
        open.add(executionId);
    }
    return open;
  }

  /** Tell the listeners what opened and closed; they may ask for follow-ups (a wait already satisfied). */
  private async notifyWaits(manager: EntityManager, change: WaitChange): Promise<FollowUp[]> {
    const nothing =
      change.opened.length === 0 &&
      change.closed.executionIds.length === 0 &&
      (change.openedWaits?.length ?? 0) === 0 &&
      (change.closedWaits?.length ?? 0) === 0;
    if (nothing) return [];
    const followUps: FollowUp[] = [];
    for (const listener of this.listeners) {
      const asked = await listener.onWaitsChanged?.(manager, change);
      if (asked) followUps.push(...asked);
    }
    return followUps;
  }

  /**
   * Lock the instance of an open incident and hand back the three; 404 or 409 otherwise. The instance may have
   * ended: an incident left open by an older version is then resolved as stale.
   */
  private async lockOpenIncident(manager: EntityManager, incidentId: string) {
    const found = await this.repository.findIncident(this.dataSource.manager, incidentId);
    if (!found) throw new NotFoundError(`incident ${incidentId} does not exist`);
    const instance = await this.repository.lock(manager, found.instanceId);
    if (!instance) throw new NotFoundError(`process instance ${found.instanceId} does not exist`);
    const incident = await this.repository.findIncident(manager, incidentId);
    if (!incident || incident.status !== 'open')
      throw new StaleIncidentError(`incident ${incidentId} is already resolved`);
    // A gateway's incident has no job: the element itself waits.
    if (incident.jobId === null) return { instance, incident, job: undefined };
    const job = await this.jobs.find(manager, incident.jobId);
    if (!job) throw new NotFoundError(`job ${incident.jobId} does not exist`);
    return { instance, incident, job };
  }

  /**
   * Resolve the incident of an element that waits, on the variables as they are now (Camunda 8): a gateway no
   * outgoing flow of which could be taken is evaluated again; a completion whose output mappings failed is applied
   * again with its stored variables; an error end event throws its error again. It goes on, or raises a new incident.
   */
  private async evaluateAgain(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    incident: IncidentEntity,
    comment: string,
    actor: string | null,
  ): Promise<IncidentEntity> {
    const wait = instance.waits?.find((w) => w.executionId === incident.executionId);
    await this.markResolved(manager, instance, incident, comment, actor);
    const resolved: HistoryRecord = {
      type: 'incident.resolved',
      elementId: incident.elementId,
      executionId: incident.executionId ?? undefined,
      actor,
      data: { incidentId: incident.id, comment },
    };
    // The element no longer waits (the instance moved on another way): nothing to evaluate.
    if (!wait) {
      await this.repository.appendHistory(manager, instance.id, [resolved]);
      return incident;
    }
    await this.advance(
      manager,
      instance,
      {
        type: 'complete',
        elementId: wait.elementId,
        executionId: wait.executionId,
        variables: incident.completion ?? {},
      },
      actor,
      { leading: [resolved] },
    );
    return incident;
  }

  private async findJob(jobId: string): Promise<JobEntity> {
    const job = await this.jobs.find(this.dataSource.manager, jobId);
    if (!job) throw new NotFoundError(`job ${jobId} does not exist`);
    return job;
  }

  private async lockRunning(manager: EntityManager, instanceId: string): Promise<ProcessInstanceEntity> {
    const instance = await this.repository.lock(manager, instanceId);
    if (!instance) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    if (instance.status !== 'running')
      throw new ConflictError(`process instance ${instanceId} is ${instance.status}`);
    return instance;
  }

  /**
   * The waits an instance stood in after its last pass. Instances saved before waits were stored have none: their
   * open user tasks and pending jobs say it (read once; the pass stores the waits).
   */
  private async storedWaits(manager: EntityManager, instance: ProcessInstanceEntity): Promise<StoredWait[]> {
    if (instance.waits) return instance.waits;
    const tasks = await this.openUserTaskWaits(manager, instance.id);
    const jobs = await this.jobs.pending(manager, instance.id);
    return [
      ...[...tasks].map((executionId): StoredWait => ({ executionId, elementId: '', kind: 'user-task' })),
      ...jobs.map((job): StoredWait => ({
        executionId: job.executionId,
        elementId: job.elementId,
        kind: job.kind === 'timer' ? 'timer' : 'service-task',
        jobId: job.id,
      })),
    ];
  }

  /**
   * Apply one command to a locked instance and save everything that follows from it: the engine's waits after the
   * command are diffed with the stored ones, and only what opened and closed is written.
   */
  private async advance(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    command: EngineCommand,
    actor: string | null,
    options: AdvanceOptions = {},
  ): Promise<EngineRun> {
    const process = await this.definitions.compiledFor(instance.definitionId, manager);
    const before = new Map((await this.storedWaits(manager, instance)).map((w) => [w.executionId, w]));
    const previous = { variables: instance.variables, status: instance.status };

    let run: EngineRun;
    // A completion's output mappings see the local variables its wait opened with (its input mappings).
    const local = command.type === 'complete' ? before.get(command.executionId)?.variables : undefined;
    const applied: EngineCommand = command.type === 'complete' && local ? { ...command, local } : command;
    try {
      run = await this.engine.run(
        process,
        // Read only when the engine is rebuilt: a live engine from the cache needs no stored state.
        () => instance.engineState as never,
        applied,
        new Set(before.keys()),
        this.clock.now(),
        { id: instance.id, revision: instance.revision },
      );
    } catch (err) {
      if (err instanceof EngineRunError)
        throw new UnprocessableError(`the process cannot go on: ${err.message}`);
      throw err;
    }
    const saved = this.savedRuns.get(manager);
    if (saved) saved.push({ run, revision: instance.revision + 1 });
    else this.engine.discard(run);
    const variablesJson = assertSize(run.variables, this.config.variablesMaxBytes, 'process variables');

    // The wait a completion names was closed by whoever completed it (the task's owner, the job's report); when its
    // output mappings failed, it still waits (with an incident).
    const after = new Set(run.waits.map((w) => w.executionId));
    const completedHere =
      command.type === 'complete' && !after.has(command.executionId) ? command.executionId : undefined;
    const closed = [...before.values()].filter(
      (w) => !after.has(w.executionId) && w.executionId !== completedHere,
    );
    const ended = new Set(run.steps.filter((s) => s.type === 'activity.end').map((s) => s.executionId));

    const openedTasks: OpenedUserTask[] = [];
    const newJobs: NewJob[] = [];
    const waits: StoredWait[] = run.waits.map((wait) => {
      const stored = before.get(wait.executionId);
      if (stored) return { ...stored, elementId: wait.elementId };
      const element = process.elements.get(wait.elementId);
      const base: StoredWait = {
        executionId: wait.executionId,
        elementId: wait.elementId,
        kind: wait.kind,
        ...(wait.variables ? { variables: wait.variables as JsonObject } : {}),
      };
      if (wait.kind === 'user-task') {
        openedTasks.push({ elementId: wait.elementId, executionId: wait.executionId, element });
      } else if (wait.kind === 'service-task' && element?.jobType) {
        const job: NewJob = {
          id: randomUUID(),
          kind: 'service-task',
          jobType: element.jobType,
          elementId: wait.elementId,
          executionId: wait.executionId,
          headers: { ...element.headers },
          maxAttempts: element.retries && element.retries > 0 ? element.retries : this.config.jobAttempts,
          dueAt: null,
        };
        newJobs.push(job);
        return { ...base, jobId: job.id };
      } else if (wait.kind === 'timer') {
        const job: NewJob = {
          id: randomUUID(),
          kind: 'timer',
          jobType: 'timer',
          elementId: wait.elementId,
          executionId: wait.executionId,
          headers: {},
          maxAttempts: this.config.jobAttempts,
          dueAt: wait.expireAt ?? this.clock.now(),
        };
        newJobs.push(job);
        return { ...base, jobId: job.id };
      }
      return base;
    });

    const history = [...(options.leading ?? []), ...this.historyOf(process, run)];
    instance.engineState = run.state;
    instance.variables = run.variables;
    instance.waits = waits;
    instance.revision += 1;
    // A side branch (an escalation) may end after the main path: the status of the end event reached keeps.
    if (run.endStatus) instance.endStatus = run.endStatus;
    if (run.finished) {
      instance.status = 'completed';
      instance.endedAt = this.clock.now();
      history.push({ type: 'instance.completed', actor, data: { endStatus: instance.endStatus } });
    }
    // The instance row (with the pass's history, in the same statement) first: the rows below refer to it.
    // The jobs the pass opened (and their outbox messages) are written by the instance's own statement.
    const jobsWrite = newJobs.length > 0 ? this.jobs.jobsWrite(newJobs) : undefined;
    const more = joinWrites(options.also, jobsWrite?.clauses);
    const serialized = { engineState: run.stateJson, variables: variablesJson };
    if (options.isNew) {
      if (
        !(await this.repository.insertInstance(
          manager,
          instance,
          history,
          options.latestVersion ?? null,
          more,
          serialized,
        ))
      ) {
        this.forgetRun(manager, run);
        throw new NewerDefinitionError();
      }
    } else await this.repository.saveInstance(manager, instance, history, more, serialized);
    await jobsWrite?.written(manager);

    await this.resolveLeftIncidents(
      manager,
      instance,
      completedHere ? [...closed, ...[before.get(completedHere)].filter(isDefined)] : closed,
      run.finished,
      actor,
    );
    const closedJobs = closed.filter((w) => w.jobId !== undefined);
    await this.jobs.finishJobs(
      manager,
      closedJobs.filter((w) => ended.has(w.executionId)).map((w) => w.jobId as string),
      'completed',
    );
    await this.jobs.finishJobs(
      manager,
      closedJobs.filter((w) => !ended.has(w.executionId)).map((w) => w.jobId as string),
      'cancelled',
    );
    await this.raiseIncidents(manager, instance, run);

    const followUps = await this.notifyWaits(manager, {
      instance,
      variables: run.variables,
      opened: openedTasks,
      closed: {
        executionIds: closed.filter((w) => w.kind === 'user-task').map((w) => w.executionId),
        status: 'cancelled',
      },
      openedWaits: run.waits
        .filter((w) => !before.has(w.executionId))
        .map((w) => ({
          elementId: w.elementId,
          executionId: w.executionId,
          kind: w.kind,
          element: process.elements.get(w.elementId),
          ...(w.variables ? { variables: w.variables } : {}),
        })),
      closedWaits: completedHere ? [...closed, ...[before.get(completedHere)].filter(isDefined)] : closed,
      firedTimers: closed
        .filter((w) => w.kind === 'timer' && ended.has(w.executionId))
        .map((w) => ({
          elementId: w.elementId,
          executionId: w.executionId,
          attachedTo: process.elements.get(w.elementId)?.attachedToRef,
        })),
    });
    for (const listener of this.listeners) await listener.onInstanceSaved?.(manager, instance, previous);
    followUps.push(
      ...(await this.followCalls(manager, instance, process, run, before, closed, actor, options)),
    );
    // A follow-up is one more command on the instance in this transaction (bounded: each consumes what asked for it).
    const depth = (options.depth ?? 0) + 1;
    for (const followUp of followUps) {
      if (instance.status !== 'running' || depth > MAX_FOLLOW_UPS) break;
      if (!instance.waits?.some((w) => w.executionId === followUp.executionId)) continue;
      await this.advance(
        manager,
        instance,
        {
          type: 'complete',
          elementId: followUp.elementId,
          executionId: followUp.executionId,
          variables: followUp.variables,
        },
        null,
        {
          leading: [followUp.history],
          depth,
          callDepth: options.callDepth,
          startedByParent: options.startedByParent,
        },
      );
    }
    return run;
  }

  /**
   * The open incidents at the waits a pass left (by a boundary event, a terminate end, an interrupting event
   * sub-process, the instance ending) are resolved with them, as Camunda 8 resolves an incident when its element
   * instance is terminated. Known from the locked row's count: a pass on an instance without incidents costs nothing.
   */
  private async resolveLeftIncidents(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    left: readonly StoredWait[],
    finished: boolean,
    actor: string | null,
  ): Promise<void> {
    if (instance.openIncidents <= 0 || (left.length === 0 && !finished)) return;
    const resolved = await this.repository.resolveIncidentsAt(
      manager,
      instance.id,
      finished
        ? 'all'
        : {
            executionIds: left.map((w) => w.executionId),
            jobIds: left.map((w) => w.jobId).filter(isDefined),
          },
      ELEMENT_LEFT,
      actor,
    );
    if (resolved.length === 0) return;
    instance.openIncidents = Math.max(instance.openIncidents - resolved.length, 0);
    await this.repository.appendHistory(
      manager,
      instance.id,
      resolved.map((incident) => ({
        type: 'incident.resolved',
        elementId: incident.elementId,
        executionId: incident.executionId ?? undefined,
        actor,
        data: {
          incidentId: incident.id,
          ...(incident.jobId ? { jobId: incident.jobId, jobType: incident.jobType } : {}),
          errorType: incident.errorType,
          reason: ELEMENT_LEFT,
        },
      })),
    );
  }

  /** An incident at a job that cannot go on (its attempts ran out, or its BPMN error found no catch), and its history entry. */
  private async openIncident(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    job: JobEntity,
    errorType: IncidentErrorType,
    error: string,
    attempts: number,
  ): Promise<HistoryRecord> {
    const incident = await this.repository.insertIncident(manager, {
      instanceId: instance.id,
      jobId: job.id,
      executionId: job.executionId,
      elementId: job.elementId,
      jobType: job.jobType,
      errorType,
      completion: null,
      error,
      attempts,
      status: 'open',
      resolvedAt: null,
      resolvedBy: null,
      comment: null,
    });
    instance.openIncidents += 1;
    return {
      type: 'incident.created',
      elementId: job.elementId,
      executionId: job.executionId,
      data: { incidentId: incident.id, jobType: job.jobType, error },
    };
  }

  /**
   * An incident for each element the pass left waiting on one: a gateway with no outgoing flow to take, a completion
   * whose output mappings failed (with the completion's variables, to apply again when it is resolved), an error end
   * event whose error nothing catches.
   */
  private async raiseIncidents(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    run: EngineRun,
  ): Promise<void> {
    if (run.incidents.length === 0) return;
    const history: HistoryRecord[] = [];
    for (const raised of run.incidents) {
      const incident = await this.repository.insertIncident(manager, {
        instanceId: instance.id,
        jobId: null,
        executionId: raised.executionId,
        elementId: raised.elementId,
        jobType: null,
        errorType: raised.type,
        completion: (raised.completion as JsonObject | undefined) ?? null,
        error: raised.reason.slice(0, 4000),
        attempts: 0,
        status: 'open',
        resolvedAt: null,
        resolvedBy: null,
        comment: null,
      });
      history.push({
        type: 'incident.created',
        elementId: raised.elementId,
        executionId: raised.executionId,
        data: { incidentId: incident.id, errorType: incident.errorType, error: incident.error },
      });
      instance.openIncidents += 1;
    }
    await this.repository.appendHistory(manager, instance.id, history);
  }

  /**
   * Call activities after a pass: a call that opened starts its child instance (the latest version of the called
   * process, with a copy of the variables); a call left another way (a boundary event) cancels its child; and when
   * this instance is a child that just ended, its parent's call activity completes, with the child's variables
   * unless the call says otherwise. A child that ends while it starts hands the completion back as a follow-up.
   */
  private async followCalls(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    process: CompiledProcess,
    run: EngineRun,
    before: ReadonlyMap<string, StoredWait>,
    closed: readonly StoredWait[],
    actor: string | null,
    options: AdvanceOptions,
  ): Promise<FollowUp[]> {
    const followUps: FollowUp[] = [];
    const left = closed.filter((w) => w.kind === 'call').map((w) => w.executionId);
    if (left.length > 0) {
      for (const childId of await this.repository.runningChildren(manager, instance.id, left))
        await this.cancelIn(manager, childId, 'its call activity was left', actor);
    }
    for (const call of run.waits.filter((w) => w.kind === 'call' && !before.has(w.executionId))) {
      const called = process.elements.get(call.elementId)?.calledElement;
      if (!called) continue;
      if ((options.callDepth ?? 0) >= MAX_CALL_DEPTH)
        throw new UnprocessableError(
          `${call.elementId}: call activities nest more than ${MAX_CALL_DEPTH} deep (does the process call itself?)`,
        );
      // The child gets the call's variables: the process's and its local ones (its input mappings).
      const child = await this.startIn(
        manager,
        called.processId,
        { ...run.variables, ...call.variables },
        {
          businessKey: instance.businessKey,
          actor,
          parent: {
            instanceId: instance.id,
            executionId: call.executionId,
            callDepth: (options.callDepth ?? 0) + 1,
          },
        },
      );
      const started: HistoryRecord = {
        type: 'call.started',
        elementId: call.elementId,
        executionId: call.executionId,
        data: { childInstanceId: child.id, processId: called.processId },
      };
      await this.repository.appendHistory(manager, instance.id, [started]);
      if (child.status === 'completed')
        followUps.push({
          elementId: call.elementId,
          executionId: call.executionId,
          variables: called.propagateAllChildVariables ? child.variables : {},
          history: { ...started, type: 'call.completed' },
        });
    }
    if (run.finished && instance.parentInstanceId && !options.startedByParent)
      await this.completeCall(manager, instance, actor);
    return followUps;
  }

  /** A child instance ended in its own transaction: its parent's call activity completes (under the parent's lock). */
  private async completeCall(manager: EntityManager, child: ProcessInstanceEntity, actor: string | null) {
    const parent = await this.repository.lock(manager, child.parentInstanceId as string);
    const wait = parent?.waits?.find((w) => w.executionId === child.parentExecutionId);
    if (!parent || parent.status !== 'running' || !wait) return;
    const parentProcess = await this.definitions.compiledFor(parent.definitionId, manager);
    const called = parentProcess.elements.get(wait.elementId)?.calledElement;
    await this.advance(
      manager,
      parent,
      {
        type: 'complete',
        elementId: wait.elementId,
        executionId: wait.executionId,
        variables: called?.propagateAllChildVariables === false ? {} : child.variables,
      },
      actor,
      {
        leading: [
          {
            type: 'call.completed',
            elementId: wait.elementId,
            executionId: wait.executionId,
            data: { childInstanceId: child.id, processId: child.processKey },
          },
        ],
      },
    );
  }

  /** A run whose writes were not made: its live engine is not kept, whether or not the transaction commits. */
  private forgetRun(manager: EntityManager, run: EngineRun): void {
    const saved = this.savedRuns.get(manager);
    const at = saved?.findIndex((s) => s.run === run) ?? -1;
    if (saved && at >= 0) saved.splice(at, 1);
    this.engine.discard(run);
  }

  private historyOf(process: CompiledProcess, run: EngineRun): HistoryRecord[] {
    return run.steps.map((step) => ({
      type: step.type,
      elementId: step.elementId,
      elementName: process.elements.get(step.elementId)?.name ?? null,
      executionId: step.executionId ?? null,
    }));
  }
}

interface AdvanceOptions {
  /** History records that come before the pass's own (what caused it). */
  readonly leading?: readonly HistoryRecord[];
  /** Rows the command itself changes (a reported job's completion), written by the statement that saves the pass. */
  readonly also?: MoreWrites;
  /** The instance is new: insert its row. */
  readonly isNew?: boolean;
  /** Follow-up passes chained so far in this transaction. */
  readonly depth?: number;
  /** Call activities above this instance. */
  readonly callDepth?: number;
  /** A child started by its parent's pass: when it ends at once, the parent completes the call itself. */
  readonly startedByParent?: boolean;
  /** A new instance on the version taken for its process's latest: its insert checks no newer one exists. */
  readonly latestVersion?: number;
}

/** Why an incident is resolved when its element goes (Camunda 8 deletes it with its element instance). */
const ELEMENT_LEFT = 'element left';

/** An incident found stale (its element was left) and resolved: the answer is a conflict saying why. */
interface StaleIncident {
  readonly stale: string;
}

/**
 * A retry or resolution of an incident that is stale: already resolved, or found with its element left (and resolved
 * now). A conflict natively; Camunda's surface answers that the incident no longer exists.
 */
export class StaleIncidentError extends ConflictError {}

/** A retry's or resolution's answer: the incident, or a conflict for one found stale (after its resolution committed). */
function answerOf(outcome: IncidentEntity | StaleIncident): IncidentEntity {
  if ('stale' in outcome) throw new StaleIncidentError(outcome.stale);
  return outcome;
}

/** A newer version of the process was deployed than the one a start took for the latest: start again. */
class NewerDefinitionError extends Error {}

/** How often a start takes the latest version again after deploys overtook it. */
const MAX_START_ATTEMPTS = 5;

/** How deep call activities may nest (a process calling itself is refused past it). */
const MAX_CALL_DEPTH = 10;

/** Passes a listener's follow-ups may chain in one transaction. */
const MAX_FOLLOW_UPS = 20;

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

interface SavedRun {
  readonly run: EngineRun;
  /** The revision the transaction saved it at. */
  readonly revision: number;
}

function assertWritable(
  instance: ProcessInstanceEntity,
  variables: Record<string, unknown>,
  what: string,
): void {
  const locked = Object.keys(variables).filter((key) => instance.readOnlyVariables.includes(key));
  if (locked.length > 0) {
    throw new InvalidInputError(
      `${what} may not change ${locked.join(', ')}: set from the record when the process started`,
      locked.map((key) => ({ field: `${what}.${key}`, message: 'is read-only' })),
    );
  }
}
