import { join } from 'node:path';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InstanceService } from '../../src/instances/instance.service';
import { ProcessInstanceEntity } from '../../src/instances/process-instance.entity';
import type { JobHandler } from '../../src/queue/job-handler.port';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/** A handler that fails until told to succeed: drives retries and incidents. */
class FlakyHandler implements JobHandler {
  readonly jobType = 'test.flaky';
  succeed = false;
  calls = 0;
  async handle() {
    this.calls += 1;
    if (!this.succeed) throw new Error('the peer is down');
    return { variables: { flakyDone: true } };
  }
}

describe('the durable path: PostgreSQL state, outbox, BullMQ, workers', () => {
  const flaky = new FlakyHandler();
  let t: TestApp;
  let instances: InstanceService;

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, 'fixtures') }, undefined, [flaky]);
    instances = t.get(InstanceService);
  });
  afterAll(() => t.close());

  const instanceRow = (id: string) =>
    t.dataSource.getRepository(ProcessInstanceEntity).findOneByOrFail({ id });
  const completed = (id: string) =>
    eventually(async () => ((await instanceRow(id)).status === 'completed' ? instanceRow(id) : undefined), {
      what: `instance ${id} to complete`,
    });

  it('given a process with one service task, when started, then the worker runs the job once and the instance ends without an engine state', async () => {
    const instance = await instances.start('one-service-task', { note: 'hello' });
    expect(instance.engineState).not.toBeNull();
    const done = await completed(instance.id);

    expect(done.endStatus).toBe('closed');
    expect(done.engineState).toBeNull();
    expect(done.variables).toMatchObject({ note: 'hello' });
    const effects = await t.dataSource.query(
      'SELECT job_type, element_id FROM job_effect WHERE instance_id = $1',
      [instance.id],
    );
    expect(effects).toEqual([{ job_type: 'notify', element_id: 'work' }]);
    const unrelayed = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL',
    );
    expect(unrelayed[0].n).toBe(0);
    const history = await t.dataSource.query(
      'SELECT type, element_id FROM history_event WHERE instance_id = $1 ORDER BY id',
      [instance.id],
    );
    expect(
      history.map((h: { type: string; element_id: string | null }) => `${h.type}:${h.element_id ?? ''}`),
    ).toEqual([
      'instance.started:',
      'activity.start:start',
      'activity.end:start',
      'flow.take:to-work',
      'activity.start:work',
      'activity.wait:work',
      'job.completed:work',
      'activity.end:work',
      'flow.take:to-done',
      'activity.start:done',
      'activity.end:done',
      'instance.completed:',
    ]);
  });

  it('stores each definition version once and keeps the source out of instance state', async () => {
    const instance = await instances.start('one-service-task', {});
    const row = await instanceRow(instance.id);
    expect(JSON.stringify(row.engineState)).not.toContain('"source"');
    const again = await t
      .get<DefinitionService>(DefinitionService)
      .deployDirectory(join(__dirname, 'fixtures'));
    expect(again.find((d) => d.key === 'one-service-task')?.version).toBe(1);
    await completed(instance.id);
  });

  it('given a failing job, when its retries run out, then an incident opens; when retried and the peer is back, the instance ends', async () => {
    flaky.succeed = false;
    flaky.calls = 0;
    const instance = await instances.start('flaky-service-task', {});

    const incident = await eventually(
      async () =>
        (await t.as('admin').get('/api/incidents?state=open')).body.items.find(
          (i: { instanceId: string }) => i.instanceId === instance.id,
        ),
      { what: 'an open incident' },
    );
    expect(incident).toMatchObject({
      jobType: 'test.flaky',
      elementId: 'work',
      attempts: 3,
      error: 'the peer is down',
    });
    expect(flaky.calls).toBe(3);
    const view = await t.as('admin').get(`/api/process-instances/${instance.id}`).expect(200);
    expect(view.body.status).toBe('running');
    expect(view.body.incidents).toHaveLength(1);
    expect(view.body.activeActivities).toEqual([
      expect.objectContaining({ elementId: 'work', kind: 'service-task' }),
    ]);

    flaky.succeed = true;
    await t.as('admin').post(`/api/incidents/${incident.id}/retry`).expect(200);
    const done = await completed(instance.id);
    expect(done.variables).toMatchObject({ flakyDone: true });
    await t.as('admin').post(`/api/incidents/${incident.id}/retry`).expect(409);
  });

  it('given a timer, when it expires, then a delayed job wakes the instance', async () => {
    const started = Date.now();
    const instance = await instances.start('timer-wait', { pause: 'PT0.4S' });
    expect((await instanceRow(instance.id)).status).toBe('running');
    await completed(instance.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });
});
