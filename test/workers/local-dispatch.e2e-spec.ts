import type { EntityManager } from 'typeorm';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InstanceService } from '../../src/instances/instance.service';
import type { BullMqJobQueue } from '../../src/queue/bullmq-job-queue';
import type { JobContext, JobHandler, JobResult } from '../../src/queue/job-handler.port';
import { JOB_QUEUE } from '../../src/queue/job-queue.port';
import { RelayedMarks } from '../../src/queue/relayed-marks';
import { waitForInstanceEnd, waitForJob } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { serviceTaskProcess } from './support/worker-world';

/** Counts its runs; fails the first `failures` of them; a run waits at `gate` (open unless a scenario holds it). */
class CountingHandler implements JobHandler {
  readonly effects = 'database';
  calls = 0;
  failures = 0;
  gate: Promise<void> = Promise.resolve();
  entered: () => void = () => undefined;
  constructor(readonly jobType: string) {}

  async handle(_context: JobContext, _manager: EntityManager): Promise<JobResult> {
    this.calls += 1;
    this.entered();
    await this.gate;
    if (this.calls <= this.failures) throw new Error(`run ${this.calls} fails on purpose`);
    return { variables: { ran: this.calls }, outcome: { ran: this.calls } };
  }
}

/**
 * A job that the process's own workers run goes to them straight after its commit, not through Redis and back:
 * its outbox message is written claimed for this process, and marked relayed once the job is done. What BullMQ
 * is there for (spacing retries, a job for another process) still goes through the queue.
 */
describe('local job dispatch: jobs run by the process that wrote them', () => {
  const counted = new CountingHandler('test.counted');
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, [counted]);
    await t
      .get<DefinitionService>(DefinitionService)
      .deploy(
        serviceTaskProcess('counted-task', [{ id: 'count', type: 'test.counted', retries: 3 }]),
        'test',
      );
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    counted.calls = 0;
    counted.failures = 0;
    counted.gate = Promise.resolve();
    counted.entered = () => undefined;
  });

  const queued = async () => {
    const counts = await t.get<BullMqJobQueue>(JOB_QUEUE).queue('test.counted').getJobCounts();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  };
  const outboxOf = async (jobId: string) =>
    (await t.dataSource.query(
      'SELECT relayed_at IS NOT NULL AS relayed, claimed_at IS NOT NULL AS claimed FROM outbox WHERE job_id = $1',
      [jobId],
    )) as Array<{ relayed: boolean; claimed: boolean }>;

  it('given a process that runs the workers of a job type, when an instance reaches such a job, then the job runs there without a queue message and its completion marks its outbox message relayed', async () => {
    const before = await queued();
    const marks = jest.spyOn(t.get<RelayedMarks>(RelayedMarks), 'mark');
    let whileRunning: Promise<unknown> = Promise.resolve();
    counted.entered = () => {
      // Read while the handler waits for it (the handler reads its gate after this).
      whileRunning = t.dataSource.query(
        'SELECT o.relayed_at IS NOT NULL AS relayed, o.claimed_at IS NOT NULL AS claimed FROM outbox o',
      );
      counted.gate = whileRunning.then(() => undefined);
    };

    const instance = await t.get<InstanceService>(InstanceService).start('counted-task', {});

    const done = await waitForInstanceEnd(t, instance.id);
    expect(done.variables).toMatchObject({ ran: 1 });
    const job = await waitForJob(t, instance.id, 'count', 'completed');
    expect(job.attempts).toBe(1);
    expect(await queued()).toBe(before);
    expect(counted.calls).toBe(1);
    // Held claimed while it ran; marked by the job's own completion statement, not by a statement of its own.
    expect(await whileRunning).toEqual([{ relayed: false, claimed: true }]);
    expect(await outboxOf(job.id)).toEqual([{ relayed: true, claimed: false }]);
    expect(marks).not.toHaveBeenCalled();
    marks.mockRestore();
  });

  it('given a job run here that fails, when it has attempts left, then its retry goes through the queue after the backoff and the instance ends with the attempts counted once each', async () => {
    counted.failures = 1;
    const before = await queued();

    const instance = await t.get<InstanceService>(InstanceService).start('counted-task', {});

    const done = await waitForInstanceEnd(t, instance.id);
    expect(done.variables).toMatchObject({ ran: 2 });
    expect((await waitForJob(t, instance.id, 'count', 'completed')).attempts).toBe(2);
    expect(counted.calls).toBe(2);
    expect(await queued()).toBe(before + 1);
  });

  it('given a job run here that fails on every attempt, when the last one fails, then the job fails with an incident and nothing is left to relay', async () => {
    counted.failures = 10;

    const instance = await t.get<InstanceService>(InstanceService).start('counted-task', {});

    const failed = await waitForJob(t, instance.id, 'count', 'failed');
    expect(failed.attempts).toBe(3);
    expect(counted.calls).toBe(3);
    const [incident] = await t.dataSource.query('SELECT error_type FROM incident WHERE job_id = $1', [
      failed.id,
    ]);
    expect(incident).toEqual({ error_type: 'JOB_NO_RETRIES' });
    const [unrelayed] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM outbox WHERE job_id = $1 AND relayed_at IS NULL',
      [failed.id],
    );
    expect(unrelayed.n).toBe(0);
  });

  it('given a job run here, when its message also comes through the queue while the first run is in its transaction (a claim that lapsed), then the delivery waits, finds the job done and repeats nothing', async () => {
    let open!: () => void;
    counted.gate = new Promise((resolve) => (open = resolve));
    const entered = new Promise<void>((resolve) => (counted.entered = resolve));
    const instance = await t.get<InstanceService>(InstanceService).start('counted-task', {});
    const job = await waitForJob(t, instance.id, 'count', 'pending');
    await entered;
    const [{ id: messageId }] = await t.dataSource.query('SELECT id FROM outbox WHERE job_id = $1', [job.id]);

    // As a sweep would after the claim lapsed: the same message, through the queue.
    const queue = t.get<BullMqJobQueue>(JOB_QUEUE);
    await queue.enqueue('test.counted', messageId, { jobId: job.id }, { delayMs: 0, attempts: 1 });
    const delivery = await eventually(async () => queue.queue('test.counted').getJob(messageId), {
      what: 'the delivery through the queue',
    });
    await eventually(async () => (await delivery.getState()) === 'active', { what: 'the delivery to start' });
    open();

    const done = await waitForInstanceEnd(t, instance.id);
    expect(done.variables).toMatchObject({ ran: 1 });
    expect(counted.calls).toBe(1);
    expect((await waitForJob(t, instance.id, 'count', 'completed')).attempts).toBe(1);
    await eventually(async () => (await delivery.getState()) === 'completed', {
      what: 'the delivery to end',
    });
    expect((await queue.queue('test.counted').getJob(messageId))?.returnvalue).toBe('skipped: already done');
  });
});
