import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EnqueueOptions, JobQueuePort, QueueMessage, QueuedMessage } from './job-queue.port.js';
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
    await this.queue(queueName).add(queueName, message, this.jobOptions(messageId, options));
  }

  /**
   * `addBulk` per queue, the queues side by side: the messages of one queue go in one pipeline, and the
   * pipelines share the connection, so a relay waits about one round trip.
   */
  async enqueueBulk(messages: readonly QueuedMessage[]): Promise<void> {
    const byQueue = new Map<string, QueuedMessage[]>();
    for (const message of messages) {
      const list = byQueue.get(message.queue);
      if (list) list.push(message);
      else byQueue.set(message.queue, [message]);
    }
    await Promise.all(
      [...byQueue].map(([name, list]) =>
        this.queue(name).addBulk(
          list.map((m) => ({ name, data: m.message, opts: this.jobOptions(m.messageId, m.options) })),
        ),
      ),
    );
  }

  private jobOptions(messageId: string, options: EnqueueOptions): JobsOptions {
    return {
      jobId: messageId,
      delay: Math.max(0, Math.round(options.delayMs)),
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: this.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
