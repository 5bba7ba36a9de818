import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { dropTestResources, eventually, newTestResources } from '../support/test-env';

/**
 * Processes that run on a schedule (timer start events, Camunda 8): scheduled in PostgreSQL at deploy, fired by the
 * durable timers on a clock the test moves, replaced by a newer version, and kept across a restart.
 */
describe('timer start events', () => {
  const resources = newTestResources();
  const clock = new ManualClock();
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures') };
  const HOUR = 3600_000;
  const DAY = 24 * HOUR;
  let t: TestApp | undefined;
  // Held open while the service is down, so a concurrent run's clean-up sees the database in use.
  const keeper = new Client({ connectionString: resources.databaseUrl });

  beforeAll(async () => {
    t = await startTestApp(env, resources, [], { clock });
    await keeper.connect();
  });
  afterAll(async () => {
    await t?.stop();
    await keeper.end();
    await dropTestResources(resources);
  });

  const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
  const deploy = (xml: string) =>
    t!
      .as('process-designer')
      .post('/api/process-definitions')
      .set('content-type', 'application/xml')
      .send(xml);
  const startTimers = (processKey: string) =>
    t!.dataSource.query<
      Array<{ id: string; element_id: string; status: string; due_at: Date; version: number }>
    >(
      `SELECT j.id, j.element_id, j.status, j.due_at, d.version FROM job j
         JOIN process_definition d ON d.id = j.definition_id
        WHERE d.process_key = $1 AND j.instance_id IS NULL ORDER BY j.created_at, j.due_at`,
      [processKey],
    );
  const instancesOf = (processKey: string) =>
    t!.dataSource.query<Array<{ id: string; status: string; waits: Array<{ elementId: string }> }>>(
      'SELECT id, status, waits FROM process_instance WHERE process_key = $1 ORDER BY started_at, id',
      [processKey],
    );
  const history = (instanceId: string) =>
    t!.dataSource.query<Array<{ type: string; element_id: string | null }>>(
      'SELECT type, element_id FROM history_event WHERE instance_id = $1 ORDER BY id',
      [instanceId],
    );
  const waitingAt = (instance: { waits: Array<{ elementId: string }> }) =>
    instance.waits.map((w) => w.elementId).sort();

  it('given a process with a daily timer start event deployed, when a day passes, then an instance starts at it and the next day is scheduled', async () => {
    const [timer] = await startTimers('daily-cmdb-audit');
    expect(timer).toMatchObject({ element_id: 'every-day', status: 'pending', version: 1 });
    expect(Math.abs(timer!.due_at.getTime() - (clock.now().getTime() + DAY))).toBeLessThan(60_000);
    expect(await instancesOf('daily-cmdb-audit')).toEqual([]);

    await clock.advance(DAY, resources);

    const [started] = await eventually(
      async () => {
        const found = await instancesOf('daily-cmdb-audit');
        return found.length > 0 ? found : undefined;
      },
      { what: 'the scheduled instance to start' },
    );
    expect(waitingAt(started!)).toEqual(['review-audit']);
    expect((await history(started!.id)).slice(0, 2)).toEqual([
      { type: 'instance.started', element_id: null },
      { type: 'timer.fired', element_id: 'every-day' },
    ]);
    const timers = await startTimers('daily-cmdb-audit');
    expect(timers.map((j) => j.status)).toEqual(['completed', 'pending']);
    expect(timers[1]!.due_at.getTime() - timers[0]!.due_at.getTime()).toBe(DAY);
  });

  it('given a newer version, when it is deployed, then the older version stops starting instances and the newer one runs on its own schedule (none without a timer start event)', async () => {
    const twiceADay = fixture('daily-cmdb-audit.bpmn').replace('R/P1D', 'R/PT12H');
    const plain = fixture('daily-cmdb-audit.bpmn').replace(
      /<bpmn:timerEventDefinition>.*<\/bpmn:timerEventDefinition>/,
      '',
    );

    expect((await deploy(twiceADay)).status).toBe(201);
    const afterV2 = await startTimers('daily-cmdb-audit');
    expect(afterV2.filter((j) => j.status === 'pending')).toEqual([
      expect.objectContaining({ version: 2, element_id: 'every-day' }),
    ]);
    expect(afterV2.filter((j) => j.version === 1).map((j) => j.status)).toEqual(['completed', 'cancelled']);
    const due = afterV2.find((j) => j.status === 'pending')!.due_at.getTime();
    expect(Math.abs(due - (clock.now().getTime() + 12 * HOUR))).toBeLessThan(60_000);

    expect((await deploy(plain)).status).toBe(201);
    expect((await startTimers('daily-cmdb-audit')).filter((j) => j.status === 'pending')).toEqual([]);
    await clock.advance(DAY, resources);
    expect(await instancesOf('daily-cmdb-audit')).toHaveLength(1);
  });

  it('given a process with a plain, a message and a timer start event, when an instance is created, then only the plain start runs; a message starts one at its message start event', async () => {
    const created = await t!
      .as('process-designer')
      .post('/api/process-instances')
      .send({ processId: 'change-review' })
      .expect(201);
    const byHand = (await instancesOf('change-review')).find((i) => i.id === created.body.id);
    expect(waitingAt(byHand!)).toEqual(['review']);
    const started = (await history(byHand!.id)).filter((h) => h.type === 'activity.start');
    expect(started.map((h) => h.element_id)).toEqual(['by-hand', 'review']);
    const [{ n }] = await t!.dataSource.query(
      'SELECT count(*)::int AS n FROM message_subscription WHERE instance_id = $1',
      [byHand!.id],
    );
    expect(n).toBe(0);

    const published = await t!
      .as('process-designer')
      .post('/api/messages/publish')
      .send({ name: 'change-review-requested', correlationKey: '', variables: { changeId: 'CHG-42' } })
      .expect(200);
    expect(published.body.correlatedTo).toMatchObject({ elementId: 'requested' });
    const byMessage = (await instancesOf('change-review')).find(
      (i) => i.id === published.body.correlatedTo.instanceId,
    )!;
    expect(waitingAt(byMessage)).toEqual(['review']);
    expect(
      (await history(byMessage.id)).filter((h) => h.type === 'activity.start').map((h) => h.element_id),
    ).toEqual(['requested', 'review']);
  });

  it('given a process started only by its timer, when an instance is created by hand, then 400 says so and nothing starts', async () => {
    const onlyTimer = fixture('daily-cmdb-audit.bpmn').replace('id="daily-cmdb-audit"', 'id="nightly-scan"');
    expect((await deploy(onlyTimer)).status).toBe(201);

    const refused = await t!
      .as('process-designer')
      .post('/api/process-instances')
      .send({ processId: 'nightly-scan' });

    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(
      /nightly-scan has no plain start event: it starts when its timer start event/,
    );
    expect(await instancesOf('nightly-scan')).toEqual([]);
  });

  it('given the service down when a weekly cron timer falls due, when it starts again, then the instance starts and the next week is scheduled', async () => {
    const [timer] = (await startTimers('change-review')).filter((j) => j.status === 'pending');
    expect(timer!.element_id).toBe('every-monday');
    expect(timer!.due_at.getUTCDay()).toBe(1);
    expect(timer!.due_at.toISOString()).toMatch(/T09:00:00\.000Z$/);
    const before = (await instancesOf('change-review')).length;
    await clock.advance(0, resources); // every timer written so far is on its queue before the stop

    await t!.stop();
    await clock.advance(timer!.due_at.getTime() - clock.now().getTime() + 1000, resources);
    t = await startTestApp(env, resources, [], { clock });
    await clock.advance(0, resources);

    const started = await eventually(
      async () => {
        const found = await instancesOf('change-review');
        return found.length > before ? found[found.length - 1] : undefined;
      },
      { what: 'the weekly instance to start after the restart' },
    );
    expect(waitingAt(started)).toEqual(['review']);
    expect((await history(started.id)).find((h) => h.type === 'timer.fired')).toEqual({
      type: 'timer.fired',
      element_id: 'every-monday',
    });
    const next = (await startTimers('change-review')).filter((j) => j.status === 'pending');
    expect(next).toHaveLength(1);
    expect(next[0]!.due_at.getTime() - timer!.due_at.getTime()).toBe(7 * DAY);
  });
});
