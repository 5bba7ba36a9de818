import { randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { Client } from 'pg';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InstanceService } from '../../src/instances/instance.service';
import type { BullMqJobQueue } from '../../src/queue/bullmq-job-queue';
import type { JobContext, JobHandler, JobResult } from '../../src/queue/job-handler.port';
import { JOB_QUEUE } from '../../src/queue/job-queue.port';
import type { EntityManager } from 'typeorm';
import { historyOf, instanceRow, waitForInstanceEnd, waitForJob } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, REDIS_URL } from '../support/test-env';
import { serviceTaskProcess } from './support/worker-world';

/** A promise the test resolves by hand: where a handler waits, and how the test hears it got there. */
class Signal {
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor() {
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }
  fire(): void {
    this.resolve();
  }
}

/** Writes a row per run to test_ledger through the manager it is given, and nothing else: database-only. */
class LedgerHandler implements JobHandler {
  readonly jobType = 'test.ledger';
  readonly effects = 'database';
  calls = 0;
  entered = new Signal();
  /** Where a run waits before it writes; open unless a scenario holds it. */
  gate: Promise<void> = Promise.resolve();

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    this.calls += 1;
    this.entered.fire();
    await this.gate;
    // No key on purpose: a second run would show as a second row.
    await manager.query('INSERT INTO test_ledger (job_id) VALUES ($1)', [context.jobId]);
    return {
      variables: context.variables.changeLocked ? { locked: 'changed' } : { written: true },
      outcome: { wrote: 1 },
    };
  }
}

/** Tells a peer (counted here): its effect is outside the database, so its completion follows its record. */
class PeerHandler implements JobHandler {
  readonly jobType = 'test.peer';
  calls = 0;
  entered = new Signal();
  gate: Promise<void> = Promise.resolve();

  async handle(): Promise<JobResult> {
    this.calls += 1;
    this.entered.fire();
    await this.gate;
    return { variables: { told: true }, outcome: { told: 'the peer' } };
  }
}

/**
 * The worker owns run-once: a handler that only writes to the database is run, recorded and completed in one
 * transaction; one that calls peers has its effect recorded, then its completion fed back. A message delivered
 * again (a duplicate, or the redelivery after a worker died before acknowledging it) must not repeat the effect
 * nor advance the instance twice.
 */
describe('run once: a job delivered again', () => {
  const ledger = new LedgerHandler();
  const peer = new PeerHandler();
  let t: TestApp;
  let events: QueueEvents[];

  beforeAll(async () => {
    // Deliveries through the queue, the first one included (local-dispatch.e2e-spec covers a job run here).
    t = await startTestApp({ LOCAL_JOB_DISPATCH: 'false' }, undefined, [ledger, peer]);
    await t.dataSource.query('CREATE TABLE test_ledger (id serial PRIMARY KEY, job_id uuid NOT NULL)');
    const definitions = t.get<DefinitionService>(DefinitionService);
    await definitions.deploy(
      serviceTaskProcess('ledger-task', [{ id: 'write', type: 'test.ledger', retries: 1 }]),
      'test',
    );
    await definitions.deploy(serviceTaskProcess('peer-task', [{ id: 'tell', type: 'test.peer' }]), 'test');
    await definitions.deploy(
      serviceTaskProcess('peer-then-ledger', [
        { id: 'tell', type: 'test.peer' },
        { id: 'write', type: 'test.ledger' },
      ]),
      'test',
    );
    events = await Promise.all(
      ['test.ledger', 'test.peer'].map(async (queue) => {
        const queueEvents = new QueueEvents(queue, {
          connection: { url: REDIS_URL },
          prefix: t.resources.queuePrefix,
        });
        await queueEvents.waitUntilReady();
        return queueEvents;
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(events.map((e) => e.close()));
    await t.close();
  });
  beforeEach(() => {
    for (const handler of [ledger, peer]) {
      handler.calls = 0;
      handler.entered = new Signal();
      handler.gate = Promise.resolve();
    }
  });

  const queues = () => t.get<BullMqJobQueue>(JOB_QUEUE);
  const eventsOf = (queue: string) => events.find((e) => e.name === queue)!;
  const scalar = async (sql: string, params: unknown[]) =>
    ((await t.dataSource.query(sql, params))[0] as { n: number }).n;

  /** The message the relay put on the job's queue (its id is the outbox row's). */
  async function firstMessageOf(jobId: string): Promise<string> {
    const [row] = await t.dataSource.query('SELECT id FROM outbox WHERE job_id = $1 ORDER BY created_at', [
      jobId,
    ]);
    return row.id as string;
  }

  /** Put the job's message on its queue once more, as BullMQ redelivers one its worker never acknowledged. */
  async function deliverAgain(queue: string, jobId: string): Promise<string> {
    const messageId = randomUUID();
    await queues().enqueue(queue, messageId, { jobId }, { delayMs: 0, attempts: 1 });
    return messageId;
  }

  /** What the worker answered for a message, once it is done with it. */
  async function answerTo(queue: string, messageId: string): Promise<unknown> {
    const message = await eventually(async () => queues().queue(queue).getJob(messageId), {
      what: `message ${messageId} on ${queue}`,
    });
    return message.waitUntilFinished(eventsOf(queue), 15_000);
  }

  /** Backends of this test's database waiting for a row lock. */
  const waitingForLocks = () =>
    scalar(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      [],
    );

  /** The job completions an instance's history records (of one element, when named). */
  async function completions(instanceId: string, elementId?: string): Promise<number> {
    return (await historyOf(t, instanceId)).filter(
      (h) => h.type === 'job.completed' && (elementId === undefined || h.element_id === elementId),
    ).length;
  }

  it('given a database-only handler, when its message is delivered again while the first run is still in its transaction, then the second waits, finds the job done and repeats nothing', async () => {
    const release = new Signal();
    ledger.gate = release.done;
    const instance = await t.get<InstanceService>(InstanceService).start('ledger-task', {});
    const job = await waitForJob(t, instance.id, 'write', 'pending');
    await ledger.entered.done;

    const again = await deliverAgain('test.ledger', job.id);
    // The second delivery queues for the instance's lock, which the first run holds until it commits.
    await eventually(async () => (await waitingForLocks()) > 0, { what: 'the second delivery to wait' });
    release.fire();

    expect(await answerTo('test.ledger', again)).toBe('skipped: already done');
    expect(await answerTo('test.ledger', await firstMessageOf(job.id))).toBe('completed');
    const done = await waitForInstanceEnd(t, instance.id);
    expect(done.variables).toMatchObject({ written: true });
    expect(ledger.calls).toBe(1);
    expect(await scalar('SELECT count(*)::int AS n FROM test_ledger WHERE job_id = $1', [job.id])).toBe(1);
    expect(await scalar('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [job.id])).toBe(1);
    expect(await completions(instance.id)).toBe(1);
    expect((await waitForJob(t, instance.id, 'write')).attempts).toBe(1);
  });

  it('given a database-only handler whose job committed, when the worker fails before acknowledging the message and it is delivered again, then nothing is repeated and the instance advanced once', async () => {
    const instance = await t.get<InstanceService>(InstanceService).start('ledger-task', {});
    const done = await waitForInstanceEnd(t, instance.id);
    const job = await waitForJob(t, instance.id, 'write');

    const again = await deliverAgain('test.ledger', job.id);

    expect(await answerTo('test.ledger', again)).toBe('skipped: already done');
    expect(ledger.calls).toBe(1);
    expect(await scalar('SELECT count(*)::int AS n FROM test_ledger WHERE job_id = $1', [job.id])).toBe(1);
    expect(await scalar('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [job.id])).toBe(1);
    expect(await completions(instance.id)).toBe(1);
    expect((await instanceRow(t, instance.id)).revision).toBe(done.revision);
  });

  it('given a database-only handler whose completion is refused, when the job fails, then its writes and its effect record are gone with it', async () => {
    const instance = await t
      .get<InstanceService>(InstanceService)
      .start('ledger-task', { changeLocked: true, locked: 'as filed' }, { readOnlyVariables: ['locked'] });

    // One attempt only (retries="1"): the refusal opens an incident.
    const failed = await waitForJob(t, instance.id, 'write', 'failed');

    expect(ledger.calls).toBe(1);
    expect(failed.error).toMatch(/may not change locked/);
    expect(await scalar('SELECT count(*)::int AS n FROM test_ledger WHERE job_id = $1', [failed.id])).toBe(0);
    expect(await scalar('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [failed.id])).toBe(0);
    expect(await completions(instance.id)).toBe(0);
    expect((await instanceRow(t, instance.id)).variables).toMatchObject({ locked: 'as filed' });
  });

  // Where the instance goes on past the job, only the job's own row tells the second completion it came too late.
  it.each([
    ['ends the instance', 'peer-task'],
    ['leaves the instance running at its next task', 'peer-then-ledger'],
  ])(
    'given a handler with peers whose effect is recorded and whose completion %s, when its message is delivered again before the completion lands, then the attempt is counted once and the peer is told once',
    async (_case, processKey) => {
      const release = new Signal();
      peer.gate = release.done;
      const instance = await t.get<InstanceService>(InstanceService).start(processKey, {});
      const job = await waitForJob(t, instance.id, 'tell', 'pending');
      await peer.entered.done;

      // The test holds the instance's lock, so the completion that follows the recorded effect has to wait.
      const holder = new Client({ connectionString: t.resources.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT id FROM process_instance WHERE id = $1 FOR UPDATE', [instance.id]);
        release.fire();
        await eventually(
          async () =>
            (await scalar('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [job.id])) === 1,
          { what: 'the effect to be recorded' },
        );
        await eventually(async () => (await waitingForLocks()) === 1, { what: 'the completion to wait' });

        const again = await deliverAgain('test.peer', job.id);
        // The second delivery finds the effect recorded and goes straight to the completion: it waits too.
        await eventually(async () => (await waitingForLocks()) === 2, {
          what: 'the second completion to wait',
        });
        await holder.query('COMMIT');

        const answers = await Promise.all([
          answerTo('test.peer', await firstMessageOf(job.id)),
          answerTo('test.peer', again),
        ]);
        expect(answers.sort()).toEqual(['completed', 'duplicate']);
      } finally {
        await holder.end();
      }

      const done = await waitForInstanceEnd(t, instance.id);
      expect(done.variables).toMatchObject({ told: true });
      expect(peer.calls).toBe(1);
      expect((await waitForJob(t, instance.id, 'tell')).attempts).toBe(1);
      expect(await scalar('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [job.id])).toBe(1);
      expect(await completions(instance.id, 'tell')).toBe(1);
    },
  );
});
