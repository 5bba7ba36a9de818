import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';

/**
 * Signals broadcast to every instance waiting for them: signal catch events and interrupting signal boundary
 * events, each instance under its own lock and in its own transaction. No workers run (the process has none).
 */
describe('signals', () => {
  let s: EngineScenario;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, '..', 'instances', 'fixtures'),
      workers: false,
    });
    driver = ReleaseDriver.forApp(s.t);
    const deployed = await driver.deploy(
      readFileSync(join(__dirname, 'fixtures', 'change-window.bpmn'), 'utf8'),
    );
    if (deployed.status !== 201)
      throw new Error(`deploy: ${deployed.status} ${JSON.stringify(deployed.body)}`);
  });
  afterAll(() => s.close());

  const broadcast = (body: Record<string, unknown>, as = 'project-manager') =>
    driver.call('POST', '/api/signals/broadcast', body, as);
  const startChange = async (variables: Record<string, unknown> = {}) => {
    const response = await driver.call(
      'POST',
      '/api/process-instances',
      { processId: 'change-window', variables },
      'process-designer',
    );
    if (response.status !== 201)
      throw new Error(`start: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as InstanceView;
  };
  const view = (id: string) => driver.get<InstanceView>(`/api/process-instances/${id}`);
  const waitingAt = async (id: string) =>
    (await view(id)).activeActivities.map((a) => `${a.elementId}:${a.kind}`).sort();
  const subscriptions = async (id: string) =>
    (
      await s.t.dataSource.query<Array<{ signal_name: string; element_id: string }>>(
        'SELECT signal_name, element_id FROM signal_subscription WHERE instance_id = $1 ORDER BY signal_name',
        [id],
      )
    ).map((sub) => `${sub.signal_name}@${sub.element_id}`);

  it('given two instances waiting for the change window, when the window is broadcast, then both go on with its variables and now wait for a freeze; a freeze then stops both at their install', async () => {
    const first = await startChange({ change: 'CHG-1' });
    const second = await startChange({ change: 'CHG-2' });
    expect(await waitingAt(first.id)).toEqual(['await-window:signal']);
    expect(await subscriptions(first.id)).toEqual(['window-open@await-window']);

    const opened = await broadcast({ name: 'window-open', variables: { window: '今晚 22:00 (tonight)' } });

    expect(opened.status).toBe(200);
    expect(opened.body.triggered).toEqual(
      expect.arrayContaining([
        { instanceId: first.id, elementId: 'await-window' },
        { instanceId: second.id, elementId: 'await-window' },
      ]),
    );
    expect(opened.body.failed).toEqual([]);
    for (const instance of [first, second]) {
      const now = await view(instance.id);
      expect(now.variables).toMatchObject({ window: '今晚 22:00 (tonight)' });
      expect(now.history.filter((h) => h.type === 'signal.received')).toEqual([
        expect.objectContaining({
          elementId: 'await-window',
          data: { signalKey: opened.body.signalKey, name: 'window-open' },
        }),
      ]);
      expect(await waitingAt(instance.id)).toEqual(['frozen:signal', 'install:user-task']);
      expect(await subscriptions(instance.id)).toEqual(['change-freeze@frozen']);
    }
    const later = await startChange({ change: 'CHG-3' });

    const frozen = await broadcast({ name: 'change-freeze', variables: { frozenBy: 'CAB' } });

    expect(frozen.body.triggered).toHaveLength(2);
    for (const instance of [first, second]) {
      const now = await view(instance.id);
      expect(now).toMatchObject({ status: 'completed', openTasks: [] });
      expect(now.completedActivities).toContain('stopped');
      expect(await subscriptions(instance.id)).toEqual([]);
    }
    expect(await waitingAt(later.id)).toEqual(['await-window:signal']);
    expect((await view(later.id)).variables).not.toHaveProperty('frozenBy');
  });

  it('given nobody waiting for a freeze, when it is broadcast, then it reaches no one and is not kept: an install that opens later is not frozen', async () => {
    const waiting = (
      await s.t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM signal_subscription WHERE signal_name = 'change-freeze'`,
      )
    )[0]!.n;
    expect(waiting).toBe(0);

    const response = await broadcast({ name: 'change-freeze' });
    const instance = await startChange();
    await broadcast({ name: 'window-open' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'change-freeze', triggered: [], failed: [] });
    expect(await waitingAt(instance.id)).toEqual(['frozen:signal', 'install:user-task']);
  });

  it('given one instance that may not take the signal variables, when the signal is broadcast, then that one is named as failed and still waits, and the other goes on', async () => {
    const locked = await s
      .instances()
      .start('change-window', { slot: 'fixed' }, { readOnlyVariables: ['slot'] });
    const free = await startChange();

    const response = await broadcast({ name: 'window-open', variables: { slot: 'moved' } });

    expect(response.body.triggered).toEqual(
      expect.arrayContaining([{ instanceId: free.id, elementId: 'await-window' }]),
    );
    expect(response.body.failed).toEqual([{ instanceId: locked.id, message: expect.stringMatching(/slot/) }]);
    expect(await waitingAt(locked.id)).toEqual(['await-window:signal']);
    expect(await subscriptions(locked.id)).toEqual(['window-open@await-window']);
    expect((await view(locked.id)).variables).toEqual({ slot: 'fixed' });
    expect(await waitingAt(free.id)).toEqual(['frozen:signal', 'install:user-task']);
    await driver.call('POST', `/api/process-instances/${locked.id}/cancel`, { reason: 'done' }, 'admin');
  });

  it('given an instance waiting for a signal, when it is cancelled, then its subscription goes with it and a broadcast does not reach it', async () => {
    const instance = await startChange();

    await driver.call(
      'POST',
      `/api/process-instances/${instance.id}/cancel`,
      { reason: 'withdrawn' },
      'admin',
    );
    const response = await broadcast({ name: 'window-open' });

    expect(await subscriptions(instance.id)).toEqual([]);
    expect(response.body.triggered.map((r: { instanceId: string }) => r.instanceId)).not.toContain(
      instance.id,
    );
    expect((await view(instance.id)).status).toBe('cancelled');
  });

  it('given bad input or a caller without the right, when broadcasting, then 400 names the field, 403 and 401 refuse, and no instance moves', async () => {
    const instance = await startChange();

    const nameless = await broadcast({ variables: {} });
    const notObject = await broadcast({ name: 'window-open', variables: ['tonight'] });
    const reserved = await broadcast({ name: 'window-open', variables: { content: 1 } });
    const extra = await broadcast({ name: 'window-open', correlationKey: 'x' });
    const applicant = await broadcast({ name: 'window-open' }, 'applicant');
    const unsigned = await broadcast({ name: 'window-open' }, 'nobody');

    expect([nameless, notObject, reserved, extra].map((r) => [r.status, r.body.details?.[0]?.field])).toEqual(
      [
        [400, 'name'],
        [400, 'variables'],
        [400, 'variables.content'],
        [400, 'correlationKey'],
      ],
    );
    expect(applicant.status).toBe(403);
    expect(unsigned.status).toBe(401);
    expect(await waitingAt(instance.id)).toEqual(['await-window:signal']);
    expect(await subscriptions(instance.id)).toEqual(['window-open@await-window']);
  });

  it('given a process with a signal start event, when its signal is broadcast, then an instance of its latest version starts with the variables and the waiting instances are reached as well; after a restart too', async () => {
    const fixture = readFileSync(join(__dirname, 'fixtures', 'freeze-review.bpmn'), 'utf8');
    expect((await driver.deploy(fixture)).status).toBe(201);
    expect(
      (await driver.deploy(fixture.replace('冻结复核 (freeze review)', '冻结复核 v2 (freeze review)')))
        .status,
    ).toBe(201);
    const installing = await startChange();
    await broadcast({ name: 'window-open' });
    const startedOf = async (response: {
      body: { triggered: Array<{ instanceId: string; elementId: string }> };
    }) => {
      const started = response.body.triggered.filter((r) => r.elementId === 'on-freeze');
      expect(started).toHaveLength(1);
      const [row] = await s.t.dataSource.query<Array<{ version: number }>>(
        `SELECT d.version FROM process_instance i JOIN process_definition d ON d.id = i.definition_id WHERE i.id = $1`,
        [started[0]!.instanceId],
      );
      expect(row!.version).toBe(2);
      return started[0]!.instanceId;
    };

    const response = await broadcast({ name: 'change-freeze', variables: { frozenBy: 'CAB' } });

    expect(response.status).toBe(200);
    expect(response.body.triggered).toContainEqual({ instanceId: installing.id, elementId: 'frozen' });
    const review = await startedOf(response);
    expect(await waitingAt(review)).toEqual(['review-freeze:user-task']);
    expect((await view(review)).variables).toMatchObject({ frozenBy: 'CAB' });
    expect((await view(installing.id)).status).toBe('completed');

    await s.restart();
    driver = ReleaseDriver.forApp(s.t);
    const again = await broadcast({ name: 'change-freeze' });
    expect(await waitingAt(await startedOf(again))).toEqual(['review-freeze:user-task']);
  });
});
