import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError, ConflictError } from '../platform/errors.js';
import { QUEUE_INSPECTOR, type QueueInspector } from '../queue/queue-inspector.port.js';

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
  constructor(@Inject(QUEUE_INSPECTOR) private readonly queues: QueueInspector) {}

  names(): string[] {
    return this.queues.names();
  }

  private known(name: string): string {
    if (!this.names().includes(name)) throw new NotFoundError(`there is no queue "${name}"`);
    return name;
  }

  async summaries(): Promise<QueueSummary[]> {
    return Promise.all(this.names().map((name) => this.summary(name)));
  }

  async summary(name: string): Promise<QueueSummary> {
    const queue = this.known(name);
    const now = Date.now();
    const [counts, completed, failed] = await Promise.all([
      this.queues.counts(queue),
      this.queues.completed(queue, 1000),
      this.queues.failed(queue, 100),
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
        id: job.id,
        jobId: job.jobId,
        attemptsMade: job.attemptsMade,
        reason: job.failedReason,
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      })),
    };
  }

  /** Put a failed queue job back (its job row decides whether there is still anything to do). */
  async retry(name: string, id: string): Promise<void> {
    const outcome = await this.queues.retryFailed(this.known(name), id);
    if (outcome === 'missing') throw new NotFoundError(`queue ${name} has no job ${id}`);
    if (outcome === 'not-failed') throw new ConflictError(`job ${id} of queue ${name} has not failed`);
  }

  async remove(name: string, id: string): Promise<void> {
    const outcome = await this.queues.removeFailed(this.known(name), id);
    if (outcome === 'missing') throw new NotFoundError(`queue ${name} has no job ${id}`);
    if (outcome === 'not-failed')
      throw new ConflictError(`only failed jobs can be removed; job ${id} has not failed`);
  }
}
