import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { EngineScenario } from '../support/engine-scenario';
import type { TestApp } from '../support/test-app';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';

/**
 * A broadcast that one signal start event cannot take (its process fails on the signal's variables): as in Camunda 8,
 * the other subscribers still get the signal; the one that failed is named and left as it was (no instance of it),
 * never half made, whatever failed (a refusal or an unexpected error). Only a broadcast that reached no one at all is
 * refused. No workers run (no jobs here).
 */
describe('a broadcast one subscriber cannot take', () => {
  let s: EngineScenario;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'partial-broadcast'),
      workers: false,
    });
    driver = ReleaseDriver.forApp(s.t);
  });
  afterAll(() => s.close());

  const broadcast = (body: Record<string, unknown>) =>
    driver.call('POST', '/api/signals/broadcast', body, 'project-manager');
  const waitingAt = async (id: string) =>
    (await driver.get<InstanceView>(`/api/process-instances/${id}`)).activeActivities
      .map((a) => `${a.elementId}:${a.kind}`)
      .sort();
  const instancesOf = async (processKey: string) =>
    (
      await s.t.dataSource.query<Array<{ id: string }>>(
        'SELECT id FROM process_instance WHERE process_key = $1 ORDER BY started_at',
        [processKey],
      )
    ).map((r) => r.id);

  it('given a waiting instance, a log process and an audit process that fails on a window of no hours, when the maintenance signal is broadcast with a window of no hours, then the waiting instance goes on and the log starts, the audit is named as failed and has no instance', async () => {
    const waiting = await driver.call(
      'POST',
      '/api/process-instances',
      { processId: 'maintenance-wait' },
      'process-designer',
    );
    expect(waiting.status).toBe(201);

    const response = await broadcast({ name: 'maintenance', variables: { window: { hours: 0 } } });

    expect(response.status).toBe(200);
    const [log] = await instancesOf('maintenance-log');
    expect(response.body.triggered).toEqual(
      expect.arrayContaining([
        { instanceId: waiting.body.id, elementId: 'await-maintenance' },
        { instanceId: log, elementId: 'on-maintenance' },
      ]),
    );
    expect(response.body.triggered).toHaveLength(2);
    expect(response.body.failed).toEqual([
      {
        processId: 'maintenance-audit',
        elementId: 'on-maintenance',
        message: expect.stringContaining('review-hours'),
      },
    ]);
    expect(await instancesOf('maintenance-audit')).toEqual([]);
    expect(await waitingAt(waiting.body.id)).toEqual(['install:user-task']);
    expect(await waitingAt(log!)).toEqual(['write-log:user-task']);
  });

  it('given only the audit listens for the audit window, when it is broadcast without a usable window, then 422 names the audit start event and no instance is made; with one, it starts', async () => {
    const refused = await broadcast({ name: 'audit-window', variables: { window: { hours: 0 } } });

    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/audit-window reached no one/);
    expect(refused.body.details).toEqual([
      { field: 'maintenance-audit.on-audit', message: expect.stringContaining('review-hours') },
    ]);
    expect(await instancesOf('maintenance-audit')).toEqual([]);

    const taken = await broadcast({ name: 'audit-window', variables: { window: { hours: 4 } } });

    expect(taken.status).toBe(200);
    const [audit] = await instancesOf('maintenance-audit');
    expect(taken.body).toMatchObject({
      triggered: [{ instanceId: audit, elementId: 'on-audit' }],
      failed: [],
    });
    expect(await waitingAt(audit!)).toEqual(['sign-audit:user-task']);
  });

  it('given two waiting instances and the log process, when the maintenance signal is broadcast and one waiting instance and the log process fail with an unexpected error, then the other waiting instance and the audit still get it, the two are named as failed with no detail of the error and stay as they were', async () => {
    const start = async () => {
      const res = await driver.call(
        'POST',
        '/api/process-instances',
        { processId: 'maintenance-wait' },
        'process-designer',
      );
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const broken = await start();
    const reached = await start();
    const brokenWaits = await waitingAt(broken);
    const [logsBefore, auditsBefore] = [
      await instancesOf('maintenance-log'),
      await instancesOf('maintenance-audit'),
    ];
    // A defect (not a refusal) in delivering to one instance and in starting one process.
    const instances = s.t.get<InstanceService>(InstanceService);
    const deliver = instances.deliverSignal.bind(instances);
    const startAt = instances.startAt.bind(instances);
    const deliverSpy = jest
      .spyOn(instances, 'deliverSignal')
      .mockImplementation((manager, instance, ...rest) =>
        instance.id === broken
          ? Promise.reject(new TypeError('secret detail of a defect'))
          : deliver(manager, instance, ...rest),
      );
    const startSpy = jest
      .spyOn(instances, 'startAt')
      .mockImplementation((manager, definition, ...rest) =>
        definition.key === 'maintenance-log'
          ? Promise.reject(new TypeError('secret detail of a defect'))
          : startAt(manager, definition, ...rest),
      );

    let response: Awaited<ReturnType<typeof broadcast>>;
    try {
      response = await broadcast({ name: 'maintenance', variables: { window: { hours: 4 } } });
    } finally {
      deliverSpy.mockRestore();
      startSpy.mockRestore();
    }

    expect(response.status).toBe(200);
    const audit = (await instancesOf('maintenance-audit')).filter((id) => !auditsBefore.includes(id));
    expect(audit).toHaveLength(1);
    expect(response.body.triggered).toEqual(
      expect.arrayContaining([
        { instanceId: reached, elementId: 'await-maintenance' },
        { instanceId: audit[0], elementId: 'on-maintenance' },
      ]),
    );
    expect(response.body.triggered).toHaveLength(2);
    expect(response.body.failed).toEqual(
      expect.arrayContaining([
        { instanceId: broken, message: 'internal error' },
        { processId: 'maintenance-log', elementId: 'on-maintenance', message: 'internal error' },
      ]),
    );
    expect(response.body.failed).toHaveLength(2);
    expect(JSON.stringify(response.body)).not.toContain('secret detail');
    expect(await instancesOf('maintenance-log')).toEqual(logsBefore);
    expect(await waitingAt(broken)).toEqual(brokenWaits);
    expect(await waitingAt(reached)).toEqual(['install:user-task']);

    // Its subscription was rolled back with its transaction: the next broadcast reaches it.
    const again = await broadcast({ name: 'maintenance', variables: { window: { hours: 4 } } });
    expect(again.status).toBe(200);
    expect(again.body.triggered).toEqual(
      expect.arrayContaining([{ instanceId: broken, elementId: 'await-maintenance' }]),
    );
    expect(await waitingAt(broken)).toEqual(['install:user-task']);
  });

  it('given only the audit listens for the audit window, when PostgreSQL cannot be reached as it starts, then the broadcast answers 503 to be retried, not a refusal, and no instance is made', async () => {
    const before = await instancesOf('maintenance-audit');
    const instances = s.t.get<InstanceService>(InstanceService);
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const startSpy = jest.spyOn(instances, 'startAt').mockRejectedValue(lost);

    let response: Awaited<ReturnType<ReturnType<TestApp['as']>['post']>>;
    try {
      response = await s.t
        .as('project-manager')
        .post('/api/signals/broadcast')
        .send({ name: 'audit-window', variables: { window: { hours: 4 } } });
    } finally {
      startSpy.mockRestore();
    }

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(await instancesOf('maintenance-audit')).toEqual(before);
  });
});
