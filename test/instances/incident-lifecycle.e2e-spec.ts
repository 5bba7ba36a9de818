import { join } from 'node:path';
import type { InstanceService } from '../../src/instances/instance.service';
import { EngineScenario } from '../support/engine-scenario';
import { ManualClock } from '../support/manual-clock';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';

/**
 * An incident lives as long as its element (Camunda 8): when the element's wait is left another way (an
 * interrupting boundary event, a terminate end on another branch), its open incident is resolved with it, and a
 * retry of an incident left open by an older version revives nothing. The workers are off: the test fails and
 * completes jobs and fires the timer itself, on a clock it moves.
 */
describe('incidents that go with their element', () => {
  let s: EngineScenario;
  let driver: ReleaseDriver;
  let instances: InstanceService;
  const clock = new ManualClock();
  const HOUR = 60 * 60_000;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'incident-lifecycle'),
      jobTypes: ['test.deploy', 'test.notify', 'test.withdraw'],
      workers: false,
      clock,
    });
    driver = ReleaseDriver.forApp(s.t);
    instances = s.instances();
  });
  afterAll(() => s.close());

  const pendingJob = async (instanceId: string, elementId: string) => {
    const job = await s.pendingJob(instanceId, elementId);
    if (!job) throw new Error(`no pending job at ${elementId}`);
    return job;
  };
  const view = (id: string) => driver.get<InstanceView>(`/api/process-instances/${id}`);
  const openIncidents = async (id: string) => (await view(id)).incidents.filter((i) => i.status === 'open');
  const jobStatus = async (jobId: string) =>
    (
      await s.t.dataSource.query<Array<{ status: string }>>('SELECT status FROM job WHERE id = $1', [jobId])
    )[0]!.status;
  const openCount = async (instanceId: string) =>
    (
      await s.t.dataSource.query<Array<{ n: number }>>(
        'SELECT open_incidents AS n FROM process_instance WHERE id = $1',
        [instanceId],
      )
    )[0]!.n;

  /** A deploy whose job ran out of retries: an incident at the task, the deadline timer still armed. */
  const failedDeploy = async () => {
    const instance = await instances.start('deploy-with-deadline', {});
    const deploy = await pendingJob(instance.id, 'deploy');
    await instances.failJob(deploy, 'target host unreachable', 1, true);
    const [incident] = await openIncidents(instance.id);
    expect(incident).toMatchObject({ elementId: 'deploy', jobId: deploy, status: 'open' });
    return { instanceId: instance.id, deploy, incident: incident! };
  };
  const passDeadline = async (instanceId: string) => {
    const timer = await pendingJob(instanceId, 'deadline');
    await clock.advance(2 * HOUR, s.resources);
    expect(await instances.fireTimer(timer)).toBe('fired');
  };

  it('given a deploy job out of retries with an incident, when the clock passes the deadline on its boundary timer, then the boundary is taken and the incident is resolved as its element left', async () => {
    const { instanceId, deploy, incident } = await failedDeploy();

    await passDeadline(instanceId);

    expect(await s.waitingAt(instanceId)).toEqual(['notify-late']);
    expect(await jobStatus(deploy)).toBe('cancelled');
    const seen = await view(instanceId);
    expect(seen.incidents).toEqual([
      expect.objectContaining({ id: incident.id, status: 'resolved', comment: 'element left' }),
    ]);
    expect(seen.history).toContainEqual(
      expect.objectContaining({
        type: 'incident.resolved',
        elementId: 'deploy',
        data: expect.objectContaining({ incidentId: incident.id, reason: 'element left' }),
      }),
    );
    expect(await s.v2Incident(incident.id, 'deploy-with-deadline')).toMatchObject({
      elementId: 'deploy',
      state: 'RESOLVED',
    });
    expect(await openCount(instanceId)).toBe(0);

    // The resolved incident cannot be retried: the cancelled job stays cancelled.
    const retried = await driver.call('POST', `/api/incidents/${incident.id}/retry`, undefined, 'admin');
    expect(retried.status).toBe(409);
    expect(await jobStatus(deploy)).toBe('cancelled');
  });

  it('given a gateway incident on one branch, when the other branch reaches a terminate end, then the instance ends and the incident is resolved', async () => {
    const instance = await instances.start('check-or-stop', { risk: 'medium' });
    const [incident] = await openIncidents(instance.id);
    expect(incident).toMatchObject({ elementId: 'by-risk', errorType: 'CONDITION_ERROR', status: 'open' });

    await s.completeJob(instance.id, 'withdraw');

    const ended = await view(instance.id);
    expect(ended.status).toBe('completed');
    expect(ended.incidents).toEqual([
      expect.objectContaining({ id: incident!.id, status: 'resolved', comment: 'element left' }),
    ]);
    expect(await s.v2Incident(incident!.id, 'check-or-stop')).toMatchObject({
      elementId: 'by-risk',
      state: 'RESOLVED',
    });
    expect(await openCount(instance.id)).toBe(0);
  });

  it('given an incident an older version left open after its boundary was taken, when it is retried, then its cancelled job is not revived: the incident is resolved and the answer says why', async () => {
    const { instanceId, deploy, incident } = await failedDeploy();
    await passDeadline(instanceId);
    // As an older version left it: the incident open (and counted) though its element was left.
    await s.t.dataSource.query(
      `UPDATE incident SET status = 'open', resolved_at = NULL, resolved_by = NULL, comment = NULL WHERE id = $1`,
      [incident.id],
    );
    await s.t.dataSource.query('UPDATE process_instance SET open_incidents = 1 WHERE id = $1', [instanceId]);

    const retried = await driver.call('POST', `/api/incidents/${incident.id}/retry`, undefined, 'admin');

    expect(retried.status).toBe(409);
    expect(JSON.stringify(retried.body)).toContain('its job was cancelled');
    expect(await jobStatus(deploy)).toBe('cancelled');
    expect(await s.pendingJob(instanceId, 'deploy')).toBeUndefined();
    expect(await s.waitingAt(instanceId)).toEqual(['notify-late']);
    expect(await openIncidents(instanceId)).toEqual([]);
    expect(await openCount(instanceId)).toBe(0);
  });

  it('given an incident an older version left open on an instance that ended, when it is resolved through /v2, then it is resolved and the answer is a problem saying it is not found (Camunda 8: the incident no longer exists) and why', async () => {
    const { instanceId, incident } = await failedDeploy();
    await passDeadline(instanceId);
    await s.completeJob(instanceId, 'notify-late');
    expect((await view(instanceId)).status).toBe('completed');
    await s.t.dataSource.query(
      `UPDATE incident SET status = 'open', resolved_at = NULL, resolved_by = NULL, comment = NULL WHERE id = $1`,
      [incident.id],
    );
    const listed = await s.v2Incident(incident.id, 'deploy-with-deadline');
    expect(listed).toMatchObject({ state: 'ACTIVE' });

    const path = `/v2/incidents/${listed!.incidentKey}/resolution`;
    const res = await driver.call('POST', path, {}, 'admin');

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      type: 'about:blank',
      title: 'NOT_FOUND',
      status: 404,
      instance: path,
      detail: expect.stringContaining('its process instance is completed'),
    });
    expect(await openIncidents(instanceId)).toEqual([]);

    // Resolved now: a second resolution finds nothing either, over /v2; the native API still answers a conflict.
    const again = await driver.call('POST', path, {}, 'admin');
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({
      title: 'NOT_FOUND',
      detail: expect.stringContaining('already resolved'),
    });
    const native = await driver.call('POST', `/api/incidents/${incident.id}/retry`, undefined, 'admin');
    expect(native.status).toBe(409);
  });
});
