import { Inject, Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { BullMqJobQueue } from './bullmq-job-queue.js';
import { JobHandlerRegistry } from './job-handler.port.js';
import { JOB_QUEUE, TIMER_QUEUE } from './job-queue.port.js';
import { JobRepository } from './job.repository.js';
import { LocalJobDispatch } from './local-job-dispatch.js';
import { OutboxRepository } from './outbox.repository.js';
import { UUID } from '../platform/uuid.js';
import type { FailedJobAction, FinishedQueueJob, QueueInspector } from './queue-inspector.port.js';

function finished(job: Job): FinishedQueueJob {
  return {
    id: String(job.id),
    jobId: String((job.data as { jobId?: string }).jobId ?? ''),
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    finishedOn: job.finishedOn,
  };
}

/**
 * The queue inspector over BullMQ and the outbox. The jobs this process runs without the queue (LocalJobDispatch)
 * are counted with the queue's own; a failed job shows the attempts counted on its row, wherever they ran.
 */
@Injectable()
export class BullMqQueueInspector implements QueueInspector {
  constructor(
    @Inject(JOB_QUEUE) private readonly queues: BullMqJobQueue,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(LocalJobDispatch) private readonly local: LocalJobDispatch,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  names(): string[] {
    return [...this.handlers.jobTypes, TIMER_QUEUE];
  }

  async counts(queue: string): Promise<Record<string, number>> {
    const counts = await this.queues
      .queue(queue)
      .getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    for (const [state, n] of Object.entries(this.local.counts(queue)))
      counts[state] = (counts[state] ?? 0) + n;
    return counts;
  }

  async completed(queue: string, limit: number): Promise<FinishedQueueJob[]> {
    return (await this.queues.queue(queue).getCompleted(0, limit - 1)).map(finished);
  }

  async failed(queue: string, limit: number): Promise<FinishedQueueJob[]> {
    const failed = (await this.queues.queue(queue).getFailed(0, limit - 1)).map(finished);
    const attempts = await this.jobs.attemptsOf(
      this.dataSource.manager,
      failed.map((job) => job.jobId).filter((id) => UUID.test(id)),
    );
    return failed.map((job) => ({
      ...job,
      attemptsMade: Math.max(job.attemptsMade, attempts.get(job.jobId) ?? 0),
    }));
  }

  async retryFailed(queue: string, id: string): Promise<FailedJobAction> {
    return this.onFailed(queue, id, (job) => job.retry('failed'));
  }

  async removeFailed(queue: string, id: string): Promise<FailedJobAction> {
    return this.onFailed(queue, id, (job) => job.remove());
  }

  async relayLagSeconds(): Promise<number> {
    return this.outbox.relayLagSeconds();
  }

  bullQueues(): Queue[] {
    return this.names().map((name) => this.queues.queue(name));
  }

  private async onFailed(
    queue: string,
    id: string,
    act: (job: Job) => Promise<void>,
  ): Promise<FailedJobAction> {
    const job = await this.queues.queue(queue).getJob(id);
    if (!job) return 'missing';
    if (!(await job.isFailed())) return 'not-failed';
    await act(job);
    return 'done';
  }
}
