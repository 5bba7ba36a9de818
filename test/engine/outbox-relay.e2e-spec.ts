import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InstanceService } from '../../src/instances/instance.service';
import type { BullMqJobQueue } from '../../src/queue/bullmq-job-queue';
import { JOB_QUEUE, TIMER_QUEUE } from '../../src/queue/job-queue.port';
import { JobRepository } from '../../src/queue/job.repository';
import { OutboxRelay } from '../../src/queue/outbox-relay';
import { waitForInstanceEnd } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, REDIS_URL } from '../support/test-env';

/**
 * The outbox relay on PostgreSQL and Redis. The sweep runs on start and then only every ten minutes here, so
 * what reaches a queue in the meantime was put there by the relay straight after its commit.
 */
describe('the outbox relay', () => {
  let t: TestApp;
  let events: QueueEvents;
  /** Message ids BullMQ reported added to the notify queue. */
  const added = new Set<string>();
  let onAdded: (() => void) | undefined;

  beforeAll(async () => {
    // No workers: the messages stay on their queues to be looked at.
    t = await startTestApp({ OUTBOX_POLL_MS: '600000', RUN_WORKERS: 'false' });
    await t
      .get<DefinitionService>(DefinitionService)
      .deploy(await readFile(join(__dirname, 'fixtures', 'one-service-task.bpmn'), 'utf8'), 'test');
    // The first sweep (on start) is over: from here on only an after-commit relay can add a message.
    await t.get<OutboxRelay>(OutboxRelay).sweep();
    events = new QueueEvents('notify', { connection: { url: REDIS_URL }, prefix: t.resources.queuePrefix });
    events.on('added', ({ jobId }) => {
      added.add(jobId);
      onAdded?.();
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events?.close();
    await t?.close();
  });

  const queues = () => t.get<BullMqJobQueue>(JOB_QUEUE);
  const outboxOf = async (jobId: string) =>
    (await t.dataSource.query(
      'SELECT id, relayed_at, claimed_at FROM outbox WHERE job_id = $1 ORDER BY created_at',
      [jobId],
    )) as Array<{ id: string; relayed_at: Date | null; claimed_at: Date | null }>;

  /** Resolves once BullMQ has reported the message added (it may have been already); fails after 15 s. */
  const addedToQueue = (messageId: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`message ${messageId} never reached its queue`)),
        15_000,
      );
      const check = () => {
        if (!added.has(messageId)) return;
        clearTimeout(timer);
        resolve();
      };
      onAdded = check;
      check();
    });

  it('given a transaction that starts a service task, when it commits, then its job is on the queue at once and its message marked relayed, without the sweep', async () => {
    const instance = await t.get<InstanceService>(InstanceService).start('one-service-task', {});
    const [job] = await t.dataSource.query('SELECT id FROM job WHERE instance_id = $1', [instance.id]);
    const [message] = await outboxOf(job.id);

    await addedToQueue(message!.id);

    const queued = await queues().queue('notify').getJob(message!.id);
    expect(queued?.data).toEqual({ jobId: job.id });
    await eventually(async () => (await outboxOf(job.id))[0]!.relayed_at !== null, {
      what: 'the message to be marked relayed',
    });
  });

  it('given messages whose commit no relay followed (their process died in between), when the sweep runs, then it puts the older ones on their queues and leaves the fresh ones to their own relay', async () => {
    // An ended instance to hang the jobs on: their wake-ups find nothing to do.
    const instance = await t.get<InstanceService>(InstanceService).start('one-service-task', {});
    const [{ id: jobId }] = await t.dataSource.query('SELECT id FROM job WHERE instance_id = $1', [
      instance.id,
    ]);
    await t.get<InstanceService>(InstanceService).completeJob(jobId);
    await waitForInstanceEnd(t, instance.id);
    const jobs = t.get<JobRepository>(JobRepository);
    const dueAt = new Date(Date.now() + 3600_000);
    const write = (executionId: string) =>
      // Written in a transaction of its own, not through the instances: nothing relays it after the commit.
      t.dataSource.transaction((manager) =>
        jobs.insertJob(manager, instance.id, {
          kind: 'timer',
          jobType: 'timer',
          elementId: 'wait',
          executionId,
          headers: {},
          maxAttempts: 3,
          dueAt,
        }),
      );
    const stranded = await write('wait_stranded');
    await t.dataSource.query(`UPDATE outbox SET created_at = now() - interval '1 minute' WHERE job_id = $1`, [
      stranded.id,
    ]);
    const fresh = await write('wait_fresh');

    await t.get<OutboxRelay>(OutboxRelay).sweep();

    const [strandedMessage] = await outboxOf(stranded.id);
    expect(strandedMessage).toMatchObject({ relayed_at: expect.any(Date), claimed_at: null });
    const queued = await queues().queue(TIMER_QUEUE).getJob(strandedMessage!.id);
    expect(queued?.data).toEqual({ jobId: stranded.id });
    expect(await queued?.getState()).toBe('delayed');
    const [freshMessage] = await outboxOf(fresh.id);
    expect(freshMessage).toMatchObject({ relayed_at: null, claimed_at: null });
    expect(await queues().queue(TIMER_QUEUE).getJob(freshMessage!.id)).toBeUndefined();
  });
});
