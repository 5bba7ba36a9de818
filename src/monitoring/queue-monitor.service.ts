import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError, ConflictError } from '../platform/errors.js';
import { TIMER_QUEUE } from '../queue/job-queue.port.js';
import type { BullMqJobQueue } from '../queue/bullmq-job-queue.js';
import { JobHandlerRegistry } from '../queue/job-handler.port.js';
import { JOB_QUEUE } from '../queue/job-queue.port.js';

export interface QueueSummary {
  name: string;
  counts: Record<string, number>;
  /** Jobs finished in the last minute and the last hour. */
  throughput: { completedLastMinute: number; completedLastHour: number; failedLastHour: number };
  failed: Array<{ id: string; jobId: string; attemptsMade: number; reason: string; failedAt: string | null }>;
}

/** What operators see of the queues, and the two things they may do to a failed job. */
@Injectable()
export class QueueMonitorService {
  constructor(
    @Inject(JOB_QUEUE) private readonly queues: BullMqJobQueue,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
  ) {}

  names(): string[] {
    return [...this.handlers.jobTypes, TIMER_QUEUE];
  }

  private queue(name: string) {
    if (!this.names().includes(name)) throw new NotFoundError(`there is no queue "${name}"`);
    return this.queues.queue(name);
  }

  async summaries(): Promise<QueueSummary[]> {
    return Promise.all(this.names().map((name) => this.summary(name)));
  }

  async summary(name: string): Promise<QueueSummary> {
    const queue = this.queue(name);
    const now = Date.now();
    const [counts, completed, failed] = await Promise.all([
      queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed'),
      queue.getCompleted(0, 999),
      queue.getFailed(0, 99),
    ]);
    const finishedSince = (jobs: typeof completed, ms: number) =>
      jobs.filter((j) => (j.finishedOn ?? 0) >= now - ms).length;
    return {
      name,
      counts,
      throughput: {
        completedLastMinute: finishedSince(completed, 60_000),
        completedLastHour: finishedSince(completed, 3_600_000),
        failedLastHour: finishedSince(failed, 3_600_000),
      },
      failed: failed.map((job) => ({
        id: String(job.id),
        jobId: String((job.data as { jobId?: string }).jobId ?? ''),
        attemptsMade: job.attemptsMade,
        reason: job.failedReason,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      })),
    };
  }

  /** Put a failed queue job back (its job row decides whether there is still anything to do). */
  async retry(name: string, id: string): Promise<void> {
    const job = await this.queue(name).getJob(id);
    if (!job) throw new NotFoundError(`queue ${name} has no job ${id}`);
    if (!(await job.isFailed())) throw new ConflictError(`job ${id} of queue ${name} has not failed`);
    await job.retry('failed');
  }

  async remove(name: string, id: string): Promise<void> {
    const job = await this.queue(name).getJob(id);
    if (!job) throw new NotFoundError(`queue ${name} has no job ${id}`);
    if (!(await job.isFailed()))
      throw new ConflictError(`only failed jobs can be removed; job ${id} has not failed`);
    await job.remove();
  }
}
