import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConnectionCloser } from '../platform/platform.module.js';
import { REDIS } from '../platform/redis.js';
import { BullMqJobQueue } from './bullmq-job-queue.js';
import { BullMqQueueInspector } from './bullmq-queue-inspector.js';
import { JobEffectEntity } from './job-effect.entity.js';
import { JOB_QUEUE } from './job-queue.port.js';
import { JobEntity } from './job.entity.js';
import { JobRepository } from './job.repository.js';
import { OutboundDeliveryEntity } from './outbound-delivery.entity.js';
import { OutboxRelay } from './outbox-relay.js';
import { OutboxEntity } from './outbox.entity.js';
import { OutboxRepository } from './outbox.repository.js';
import { LocalJobDispatch } from './local-job-dispatch.js';
import { RelayedMarks } from './relayed-marks.js';
import { QUEUE_INSPECTOR } from './queue-inspector.port.js';

/** The queue's tables: the job row, the outbox, job effects and the delivery ledger. */
export const QUEUE_ENTITIES = [JobEntity, OutboxEntity, JobEffectEntity, OutboundDeliveryEntity];

/**
 * The queue port (JOB_QUEUE) over BullMQ on the platform's Redis connection, the job rows (one JobRepository: it
 * remembers what each transaction wrote to the outbox) and the outbox relay.
 */
@Global()
@Module({
  providers: [
    {
      provide: JOB_QUEUE,
      inject: [APP_CONFIG, REDIS, ConnectionCloser],
      useFactory: (config: AppConfig, redis: Redis, closer: ConnectionCloser) => {
        const queue = new BullMqJobQueue(redis, config.queuePrefix, config.jobBackoffMs);
        closer.closeBeforeConnections(() => queue.close());
        return queue;
      },
    },
    JobRepository,
    OutboxRepository,
    OutboxRelay,
    RelayedMarks,
    LocalJobDispatch,
    { provide: QUEUE_INSPECTOR, useClass: BullMqQueueInspector },
  ],
  exports: [JOB_QUEUE, QUEUE_INSPECTOR, JobRepository, OutboxRelay, LocalJobDispatch],
})
export class QueueModule {}
