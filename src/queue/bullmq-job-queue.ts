import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnqueueOptions, JobQueuePort, QueueMessage } from './job-queue.port.js';
import { logRedisErrors } from '../platform/redis.js';

/** The BullMQ side of the queue port: one queue per job type, plus the timer queue. */
export class BullMqJobQueue implements JobQueuePort {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly backoffMs: number,
  ) {}

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      logRedisErrors(queue, `queue ${name}`);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue(
    queueName: string,
    messageId: string,
    message: QueueMessage,
    options: EnqueueOptions,
  ): Promise<void> {
    await this.queue(queueName).add(queueName, message, {
      jobId: messageId,
      delay: Math.max(0, Math.round(options.delayMs)),
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: this.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
