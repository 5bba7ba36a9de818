import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DefinitionService, type DeploymentListener } from '../definitions/definition.service.js';
import type { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import {
  nextStartTimerDue,
  startTimerValue,
  topLevelStartEvents,
  type ProcessModel,
} from '../engine/index.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { DomainError } from '../platform/errors.js';
import { withSavepoint } from '../platform/database/savepoint.js';
import { JobRepository, type NewJob } from '../queue/index.js';
import type { JobEntity } from '../queue/job.entity.js';
import { InstanceService } from './instance.service.js';
import { TimerStartRepository } from './timer-start.repository.js';

/** The job type of a timer start event's timer (kind `timer`: it rides the timer queue). */
export const TIMER_START_JOB_TYPE = 'timer.start';

/**
 * Timer start events (Camunda 8): a process that runs on a schedule. Each timer start event of the latest version
 * of a process is a durable timer of that version, written in the deploy's transaction; deploying a newer version
 * withdraws the older one's timers and writes its own (none when it has no timer start event). A firing starts an
 * instance at that start event and, for a cycle, writes the next timer in the same transaction.
 */
@Injectable()
export class TimerStartService implements DeploymentListener {
  private readonly logger = new Logger(TimerStartService.name);

  constructor(
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(TimerStartRepository) private readonly repository: TimerStartRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    // Here, not in onModuleInit: the shipped flows are deployed in the definitions module's onModuleInit, which
    // runs first (every provider is built before any module initialises).
    this.definitions.addDeploymentListener(this);
  }

  async onDeployed(
    manager: EntityManager,
    definition: ProcessDefinitionEntity,
    model: ProcessModel,
  ): Promise<void> {
    const now = this.clock.now();
    await this.repository.cancelOfProcess(manager, definition.key, now);
    const timers: NewJob[] = [];
    for (const start of topLevelStartEvents(model)) {
      if (!start.timer || start.eventDefinitions.length !== 1) continue;
      // FEEL is evaluated once, here, without variables (Camunda 8 evaluates it at deploy).
      const value = startTimerValue(start.timer);
      const due = nextStartTimerDue(start.timer, value, now, 0);
      if (due) timers.push(this.timerOf(definition.id, start.id, value, 0, due));
    }
    await this.jobs.insertJobs(manager, null, timers);
  }

  /** Whether a timer job is a timer start event's (the timer queue carries both kinds). */
  async owns(jobId: string, manager: EntityManager): Promise<boolean> {
    return this.repository.isStartTimer(manager, jobId);
  }

  /**
   * A timer start event's timer is due: start an instance at it and schedule the next firing of a cycle, in one
   * transaction. A start that fails (its first step cannot run) is logged and the schedule goes on.
   */
  async fire(jobId: string): Promise<'fired' | 'early' | 'duplicate'> {
    return this.instances.transaction(async (manager) => {
      const job = await this.repository.lock(manager, jobId);
      if (!job || job.status !== 'pending' || !job.definitionId) return 'duplicate';
      const now = this.clock.now();
      if (job.dueAt && job.dueAt > now) {
        await this.jobs.enqueue(manager, job);
        return 'early';
      }
      await this.jobs.finishJobs(manager, [job.id], 'completed');
      const definition = await this.definitions.byId(job.definitionId, manager);
      const process = await this.definitions.compiledFor(definition.id, manager);
      const timer = process.elements.get(job.elementId)?.timer;
      if (!timer) return 'duplicate';
      const fired = Number(job.headers.fired ?? 0) + 1;
      await this.start(manager, definition, job, fired);

      const value = job.headers.value ?? startTimerValue(timer);
      const next = nextStartTimerDue(timer, value, now, fired, job.dueAt ?? now);
      if (next)
        await this.jobs.insertJobs(manager, null, [
          this.timerOf(definition.id, job.elementId, value, fired, next),
        ]);
      return 'fired';
    });
  }

  private async start(
    manager: EntityManager,
    definition: ProcessDefinitionEntity,
    job: JobEntity,
    fired: number,
  ) {
    try {
      await withSavepoint(manager, () =>
        this.instances.startAt(
          manager,
          definition,
          job.elementId,
          {},
          {
            type: 'timer.fired',
            elementId: job.elementId,
            data: { jobId: job.id, dueAt: job.dueAt?.toISOString() ?? null, firing: fired },
          },
        ),
      );
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      this.logger.warn(
        `timer start event ${job.elementId} of ${definition.key} version ${definition.version} could not start an instance: ${err.message}`,
      );
    }
  }

  private timerOf(definitionId: string, elementId: string, value: string, fired: number, due: Date): NewJob {
    return {
      kind: 'timer',
      jobType: TIMER_START_JOB_TYPE,
      definitionId,
      elementId,
      executionId: `${elementId}~start-${fired}`,
      headers: { value, fired: String(fired) },
      maxAttempts: this.config.jobAttempts,
      dueAt: due,
    };
  }
}
