import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shippedForm } from '../support/form-samples';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { MINIMAL_REQUEST, ReleaseDriver, type Release, type Task } from '../support/release-driver';

/**
 * The times the service stores are its clock's, the one timers and releases read: a clock a test stands at a
 * time of its choosing moves every stored time with it (instance start and end, task creation, claim and
 * completion, the history of each step, when a process, decision or form was deployed, when a user or a CMDB
 * item was created), none of them is the system's or the database's.
 */
describe('stored times come from the service clock', () => {
  const T = new Date('2031-03-04T05:06:07.000Z');
  const HOUR = 3_600_000;
  const clock = new ManualClock(T);
  let t: TestApp;
  let walk: ReleaseDriver;
  let release: Release;
  let assess: Task;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, [], { clock });
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(async () => {
    await t.close();
  });

  it('given the clock standing at T, when a release is filed, then its instance, first task and history start at T', async () => {
    release = await walk.file('standard');
    assess = await walk.task(release.id, 'assess-request');

    expect(release.createdAt).toBe(T.toISOString());
    expect((await walk.instance(release.instanceId)).startedAt).toBe(T.toISOString());
    expect(assess.createdAt).toBe(T.toISOString());
    const history = await walk.history(release.id);
    expect(history.length).toBeGreaterThan(0);
    expect(new Set(history.map((e) => e.createdAt))).toEqual(new Set([T.toISOString()]));
  });

  it('given the clock moved on an hour, when the task is claimed and then completed an hour later, then claimedAt and completedAt are those times', async () => {
    await clock.advance(HOUR, t.resources);
    const claimed = await walk.call('POST', `/api/tasks/${assess.id}/claim`, undefined, 'project-manager');
    expect(claimed.status).toBe(200);
    await clock.advance(HOUR, t.resources);
    const completed = await walk.finish(assess, { assessmentDecision: 'approve' }, 'project-manager');

    const oneHourOn = new Date(T.getTime() + HOUR).toISOString();
    const twoHoursOn = new Date(T.getTime() + 2 * HOUR).toISOString();
    expect(completed).toMatchObject({ claimedAt: oneHourOn, completedAt: twoHoursOn });
    const history = await walk.history(release.id);
    expect(history.find((e) => e.type === 'task.claimed')?.createdAt).toBe(oneHourOn);
    expect(history.find((e) => e.type === 'task.completed')?.createdAt).toBe(twoHoursOn);
  });

  it('given the clock moved on a day, when the release is cancelled, then its instance ended and its open task closed then', async () => {
    const next = await walk.task(release.id, 'define-strategy');
    await clock.advance(24 * HOUR, t.resources);
    const cancelled = await walk.call(
      'POST',
      `/api/releases/${release.id}/cancel`,
      { reason: 'withdrawn' },
      'project-manager',
    );
    expect(cancelled.status).toBe(200);

    const aDayOn = new Date(T.getTime() + 26 * HOUR).toISOString();
    expect((await walk.instance(release.instanceId)).endedAt).toBe(aDayOn);
    const closed = await walk.get<Task>(`/api/tasks/${next.id}`, 'project-manager');
    expect(closed).toMatchObject({ status: 'cancelled', completedAt: aDayOn });
  });

  it('given the clock moved on another hour, when a process, a decision and a form are deployed together, then each version was deployed then', async () => {
    await clock.advance(HOUR, t.resources);
    const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));
    const form = { ...shippedForm('release-assessment'), id: 'deployed-at-form' };
    const deployed = await t
      .as('process-designer')
      .post('/v2/deployments')
      .attach('resources', fixture('deployed-at.bpmn'), 'deployed-at.bpmn')
      .attach('resources', fixture('deployed-at.dmn'), 'deployed-at.dmn')
      .attach('resources', Buffer.from(JSON.stringify(form)), 'deployed-at.form');
    expect(deployed.status).toBe(200);

    const then = new Date(T.getTime() + 27 * HOUR).toISOString();
    const deployedAt = async (path: string) =>
      (await walk.get<Array<{ deployedAt: string }>>(path, 'process-designer')).map((v) => v.deployedAt);
    expect(await deployedAt('/api/process-definitions/deployed-at-flow/versions')).toEqual([then]);
    expect(await deployedAt('/api/decision-definitions/deployed-at-decision/versions')).toEqual([then]);
    expect(await deployedAt('/api/forms/deployed-at-form/versions')).toEqual([then]);
  });

  it('given the clock moved on another hour, when a user and a CMDB item are created and the item changed an hour later, then they were created then and the item updated later', async () => {
    await clock.advance(HOUR, t.resources);
    await t
      .as('admin')
      .post('/api/users')
      .send({
        username: 'clock.reader',
        displayName: '时钟',
        password: 'a long passphrase',
        roles: ['applicant'],
      })
      .expect(201);
    const item = { name: 'clock-item', type: 'service' };
    const created = await t.as('network-engineer').post('/api/cmdb/items').send(item).expect(200);
    await clock.advance(HOUR, t.resources);
    const changed = await t
      .as('network-engineer')
      .post('/api/cmdb/items')
      .send({ ...item, owner: 'ops' })
      .expect(200);

    const created28h = new Date(T.getTime() + 28 * HOUR);
    const updated29h = new Date(T.getTime() + 29 * HOUR).toISOString();
    expect(
      await t.dataSource.query(`SELECT created_at, updated_at FROM app_user WHERE username = 'clock.reader'`),
    ).toEqual([{ created_at: created28h, updated_at: created28h }]);
    expect(created.body).toMatchObject({
      createdAt: created28h.toISOString(),
      updatedAt: created28h.toISOString(),
    });
    expect(changed.body).toMatchObject({ createdAt: created28h.toISOString(), updatedAt: updated29h });
  });
});
