import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import type { JobQueuePort, QueuedMessage } from './job-queue.port';
import { JobRepository } from './job.repository';
import { OutboxRelay } from './outbox-relay';
import { LocalJobDispatch } from './local-job-dispatch';
import { RelayedMarks } from './relayed-marks';
import type { OutboxRepository } from './outbox.repository';

/**
 * The after-commit half of the relay, over a recording queue port and outbox: what a transaction wrote goes to
 * the queues in one call and is marked in one statement (shared with the commits relayed meanwhile); a transaction that wrote nothing costs nothing. (The
 * scenarios on PostgreSQL and Redis are in test/engine/outbox-relay.e2e-spec.ts.)
 */
describe('OutboxRelay after a commit', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  let bulks: QueuedMessage[][];
  let marked: string[][];
  let failEnqueue: boolean;
  let statements: string[];
  let jobs: JobRepository;
  let relay: OutboxRelay;

  /** A transaction's manager as far as the job repository uses it: it records the statements sent. */
  const transaction = () =>
    ({
      queryRunner: { isTransactionActive: true },
      query: async (sql: string) => {
        statements.push(sql);
        return [];
      },
    }) as unknown as EntityManager;

  beforeEach(() => {
    bulks = [];
    marked = [];
    failEnqueue = false;
    statements = [];
    jobs = new JobRepository();
    const queue: JobQueuePort = {
      enqueue: async () => {
        throw new Error('the relay adds in bulk');
      },
      enqueueBulk: async (messages) => {
        if (failEnqueue) throw new Error('Redis refused');
        bulks.push([...messages]);
      },
    };
    const outbox = {
      markRelayed: async (ids: readonly string[]) => {
        marked.push([...ids]);
      },
    } as unknown as OutboxRepository;
    const config = { outboxPollMs: 1000, jobLockMs: 30_000, localJobDispatch: false } as AppConfig;
    const local = new LocalJobDispatch(config, outbox, queue, new RelayedMarks(outbox));
    relay = new OutboxRelay(outbox, jobs, queue, config, { now: () => now }, new RelayedMarks(outbox), local);
  });

  /** Let the relays under way finish (a shutdown waits for them). */
  const settled = () => relay.beforeApplicationShutdown();

  it('given a transaction that wrote no outbox message, when it commits, then neither the database nor Redis is asked anything', async () => {
    relay.afterCommit(transaction());
    await settled();
    expect(bulks).toEqual([]);
    expect(marked).toEqual([]);
  });

  it('given a transaction that started a service task and a timer, when it commits, then both go to their queues in one call and are marked relayed in one statement, once', async () => {
    const manager = transaction();
    const [task, timer] = await jobs.insertJobs(manager, 'instance-1', [
      {
        kind: 'service-task',
        jobType: 'notify',
        elementId: 'tell',
        executionId: 'tell_1',
        headers: {},
        maxAttempts: 3,
        dueAt: null,
      },
      {
        kind: 'timer',
        jobType: 'timer',
        elementId: 'wait',
        executionId: 'wait_1',
        headers: {},
        maxAttempts: 3,
        dueAt: new Date(now.getTime() + 60_000),
      },
    ]);
    // The jobs and their messages are one statement.
    expect(statements).toHaveLength(1);

    relay.afterCommit(manager);
    relay.afterCommit(manager);
    await settled();

    expect(bulks).toHaveLength(1);
    expect(bulks[0]!.map((m) => [m.queue, m.message.jobId, m.options])).toEqual([
      ['notify', task!.id, { delayMs: 0, attempts: 3 }],
      ['timer', timer!.id, { delayMs: 60_000, attempts: 3 }],
    ]);
    expect(marked).toEqual([bulks[0]!.map((m) => m.messageId)]);
  });

  it('given two transactions that commit at the same moment, then each adds its own bulk and one statement marks both', async () => {
    const newJob = (executionId: string) => ({
      kind: 'service-task' as const,
      jobType: 'notify',
      elementId: 'tell',
      executionId,
      headers: {},
      maxAttempts: 3,
      dueAt: null,
    });
    const [first, second] = [transaction(), transaction()];
    const a = await jobs.insertJob(first, 'instance-1', newJob('tell_1'));
    const b = await jobs.insertJob(second, 'instance-2', newJob('tell_2'));

    relay.afterCommit(first);
    relay.afterCommit(second);
    await settled();

    expect(bulks.map((bulk) => bulk.map((m) => m.message.jobId))).toEqual([[a.id], [b.id]]);
    expect(marked).toEqual([[bulks[0]![0]!.messageId, bulks[1]![0]!.messageId]]);
  });

  it('given Redis refuses the messages, when the transaction commits, then they stay unmarked for the sweep', async () => {
    failEnqueue = true;
    const manager = transaction();
    await jobs.insertJob(manager, 'instance-1', {
      kind: 'service-task',
      jobType: 'notify',
      elementId: 'tell',
      executionId: 'tell_1',
      headers: {},
      maxAttempts: 3,
      dueAt: null,
    });
    relay.afterCommit(manager);
    await settled();
    expect(marked).toEqual([]);
  });

  it('given writes made outside a transaction, then none is remembered (the sweep relays them)', async () => {
    const manager = { ...transaction(), queryRunner: undefined } as unknown as EntityManager;
    await jobs.insertJob(manager, 'instance-1', {
      kind: 'service-task',
      jobType: 'notify',
      elementId: 'tell',
      executionId: 'tell_1',
      headers: {},
      maxAttempts: 3,
      dueAt: null,
    });
    expect(jobs.takeWritten(manager)).toEqual([]);
  });
});
