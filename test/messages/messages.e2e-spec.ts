import { join } from 'node:path';
import { MessageService } from '../../src/messages/message.service';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver } from '../support/release-driver';

/**
 * Messages from outside (a change-management system) correlated to waiting instances by name and correlation key,
 * Camunda 8 style. No workers run here: the install job is reported by hand, so each step is the test's own.
 */
describe('messages', () => {
  let s: EngineScenario;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.install'],
      workers: false,
    });
    driver = ReleaseDriver.forApp(s.t);
  });
  afterAll(() => s.close());

  const restart = async () => {
    await s.restart();
    driver = ReleaseDriver.forApp(s.t);
  };
  const instances = () => s.instances();
  const publish = (body: Record<string, unknown>, as = 'process-designer') =>
    driver.call('POST', '/api/messages/publish', body, as);
  const correlate = (body: Record<string, unknown>, as = 'process-designer') =>
    driver.call('POST', '/api/messages/correlate', body, as);
  const messagesNamed = async (correlationKey: string) =>
    (
      await s.t.dataSource.query<Array<{ n: number }>>(
        'SELECT count(*)::int AS n FROM message WHERE correlation_key = $1',
        [correlationKey],
      )
    )[0]!.n;
  const startChange = (changeId: string) => instances().start('change-messages', { changeId });
  const row = (instanceId: string) => s.row(instanceId);
  const waitingAt = (instanceId: string) => s.waitingAt(instanceId);
  const subscriptions = async (instanceId: string) =>
    (
      await s.t.dataSource.query<Array<{ message_name: string; correlation_key: string }>>(
        'SELECT message_name, correlation_key FROM message_subscription WHERE instance_id = $1 ORDER BY message_name',
        [instanceId],
      )
    ).map((sub) => `${sub.message_name}/${sub.correlation_key}`);
  const history = async (instanceId: string, type: string) =>
    s.t.dataSource.query<Array<{ element_id: string; data: Record<string, unknown> }>>(
      'SELECT element_id, data FROM history_event WHERE instance_id = $1 AND type = $2 ORDER BY id',
      [instanceId, type],
    );

  it('given a change waiting for its approval, when the approval is published with its change id, then that instance goes on with the message variables and its subscription is gone', async () => {
    const waiting = await startChange('CHG-100');
    const other = await startChange('CHG-101');
    expect(await subscriptions(waiting.id)).toEqual(['change-approved/CHG-100']);

    const response = await publish({
      name: 'change-approved',
      correlationKey: 'CHG-100',
      variables: { approvedBy: 'CAB' },
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      correlatedTo: { instanceId: waiting.id, elementId: 'await-approval' },
      buffered: false,
    });
    expect((await row(waiting.id)).variables).toMatchObject({ approvedBy: 'CAB' });
    expect(await waitingAt(waiting.id)).toEqual(['window-opened', 'window-or-timeout', 'window-timeout']);
    expect(await subscriptions(waiting.id)).toEqual(['window-opened/CHG-100']);
    expect(await history(waiting.id, 'message.correlated')).toEqual([
      expect.objectContaining({
        element_id: 'await-approval',
        data: expect.objectContaining({ name: 'change-approved' }),
      }),
    ]);
    expect(await waitingAt(other.id)).toEqual(['await-approval']);
  });

  it('given a message published before the instance waits for it, when it arrives within the time to live, then it is taken at once; without a time to live it is dropped', async () => {
    const early = await publish({
      name: 'change-approved',
      correlationKey: 'CHG-200',
      timeToLive: 60_000,
      variables: { early: true },
    });
    const dropped = await publish({ name: 'change-approved', correlationKey: 'CHG-201' });
    expect(early.body).toMatchObject({ correlatedTo: null, buffered: true });
    expect(dropped.body).toMatchObject({ correlatedTo: null, buffered: false });

    const buffered = await startChange('CHG-200');
    const missed = await startChange('CHG-201');

    expect((await row(buffered.id)).variables).toMatchObject({ early: true });
    expect(await waitingAt(buffered.id)).toContain('window-opened');
    expect(await history(buffered.id, 'message.correlated')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ buffered: true }) }),
    ]);
    expect(await waitingAt(missed.id)).toEqual(['await-approval']);
  });

  it('given an event-based gateway waiting for a message or a timeout, when the message comes, then the timer is withdrawn and a non-interrupting note leaves the install running', async () => {
    const change = await startChange('CHG-300');
    await publish({ name: 'change-approved', correlationKey: 'CHG-300' });
    const [timer] = await s.t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM job WHERE instance_id = $1 AND kind = 'timer' AND status = 'pending'`,
      [change.id],
    );
    expect(timer).toBeDefined();

    await publish({ name: 'window-opened', correlationKey: 'CHG-300' });
    await publish({
      name: 'change-note',
      correlationKey: 'CHG-300',
      variables: { note: '推迟十分钟 (ten minutes late)' },
    });

    const [{ status }] = await s.t.dataSource.query('SELECT status FROM job WHERE id = $1', [timer!.id]);
    expect(status).toBe('cancelled');
    // The non-interrupting note stays open while the install runs (Camunda 8).
    expect(await waitingAt(change.id)).toEqual(['install', 'note']);
    expect((await row(change.id)).variables).toMatchObject({ note: '推迟十分钟 (ten minutes late)' });
    await instances().completeJob((await s.pendingJob(change.id, 'install'))!);
    expect((await row(change.id)).status).toBe('completed');
    expect(await subscriptions(change.id)).toEqual([]);
  });

  it('given two publishes of one approval at once, when one subscription waits, then exactly one is delivered and the other is buffered', async () => {
    const change = await startChange('CHG-400');
    const messages = s.t.get<MessageService>(MessageService);

    const results = await Promise.all(
      [1, 2].map((n) =>
        messages.publish({
          name: 'change-approved',
          correlationKey: 'CHG-400',
          timeToLiveMs: 60_000,
          messageId: null,
          variables: { n },
        }),
      ),
    );

    expect(results.filter((r) => r.correlatedTo?.instanceId === change.id)).toHaveLength(1);
    expect(results.filter((r) => r.buffered)).toHaveLength(1);
    expect(await history(change.id, 'message.correlated')).toHaveLength(1);
  });

  it('given a message id published within its time to live, when it is published again, then the second answers 409 and nothing changes', async () => {
    const first = await publish({
      name: 'change-approved',
      correlationKey: 'CHG-500',
      timeToLive: 60_000,
      messageId: 'evt-1',
    });
    const again = await publish({
      name: 'change-approved',
      correlationKey: 'CHG-500',
      timeToLive: 60_000,
      messageId: 'evt-1',
    });

    expect(first.status).toBe(200);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/evt-1/);
    const [{ n }] = await s.t.dataSource.query(
      `SELECT count(*)::int AS n FROM message WHERE message_id = 'evt-1'`,
    );
    expect(n).toBe(1);
  });

  it('given bad input or a caller without the right, when publishing, then 400 names the field and 403 refuses the caller', async () => {
    const nameless = await publish({ correlationKey: 'x' });
    const tooLong = await publish({ name: 'change-approved', timeToLive: 31 * 24 * 3600 * 1000 });
    const notAllowed = await publish({ name: 'change-approved', correlationKey: 'x' }, 'applicant');

    expect(nameless.status).toBe(400);
    expect(JSON.stringify(nameless.body)).toMatch(/name/);
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toMatch(/timeToLive/);
    expect(notAllowed.status).toBe(403);
  });

  it('given a change waiting for its approval, when the approval is correlated, then that instance goes on at once with the message variables', async () => {
    const waiting = await startChange('CHG-700');

    const response = await correlate({
      name: 'change-approved',
      correlationKey: 'CHG-700',
      variables: { approvedBy: 'CAB' },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      messageKey: expect.any(String),
      correlatedTo: { instanceId: waiting.id, elementId: 'await-approval' },
    });
    expect((await row(waiting.id)).variables).toMatchObject({ approvedBy: 'CAB' });
    expect(await waitingAt(waiting.id)).toEqual(['window-opened', 'window-or-timeout', 'window-timeout']);
    expect(await history(waiting.id, 'message.correlated')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ messageKey: response.body.messageKey }) }),
    ]);
  });

  it('given no instance waiting for a message, when it is correlated, then 404 and it is not kept: an instance that waits later does not get it', async () => {
    const response = await correlate({ name: 'change-approved', correlationKey: 'CHG-701' });

    expect(response.status).toBe(404);
    expect(response.body.message).toMatch(/change-approved.*CHG-701/);
    expect(await messagesNamed('CHG-701')).toBe(0);
    const later = await startChange('CHG-701');
    expect(await waitingAt(later.id)).toEqual(['await-approval']);
  });

  it('given bad input or a caller without the right, when correlating, then 400 names the field (a time to live or id has no meaning here), 403 and 401 refuse, and nothing changes', async () => {
    const waiting = await startChange('CHG-702');

    const nameless = await correlate({ correlationKey: 'CHG-702' });
    const withTtl = await correlate({ name: 'change-approved', correlationKey: 'CHG-702', timeToLive: 1000 });
    const notObject = await correlate({
      name: 'change-approved',
      correlationKey: 'CHG-702',
      variables: 'yes',
    });
    const applicant = await correlate({ name: 'change-approved', correlationKey: 'CHG-702' }, 'applicant');
    const unsigned = await correlate({ name: 'change-approved', correlationKey: 'CHG-702' }, 'nobody');
    const oldPath = await driver.call('POST', '/api/messages', {
      name: 'change-approved',
      correlationKey: 'CHG-702',
    });

    expect([nameless, withTtl, notObject].map((r) => [r.status, r.body.details?.[0]?.field])).toEqual([
      [400, 'name'],
      [400, 'timeToLive'],
      [400, 'variables'],
    ]);
    expect(applicant.status).toBe(403);
    expect(unsigned.status).toBe(401);
    expect(oldPath.status).toBe(404);
    expect(await waitingAt(waiting.id)).toEqual(['await-approval']);
    expect(await messagesNamed('CHG-702')).toBe(0);
  });

  it('given a process with a message start event, when its message is published, then each publish starts an instance with the message variables, waiting for its approval', async () => {
    const first = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-900',
      variables: { changeId: 'CHG-900' },
    });
    const second = await publish({ name: 'change-filed', variables: { changeId: 'CHG-901' } });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ correlatedTo: { elementId: 'filed' }, buffered: false });
    const started = first.body.correlatedTo.instanceId as string;
    expect(second.body.correlatedTo.instanceId).not.toBe(started);
    expect((await row(started)).variables).toMatchObject({ changeId: 'CHG-900' });
    expect(await waitingAt(started)).toEqual(['await-approval']);
    expect(await subscriptions(started)).toEqual(['change-approved/CHG-900']);
  });

  it('given an instance started by a message with a correlation key, when the key comes again while it runs, then no second instance starts: the message waits buffered and starts the next one when the first ends', async () => {
    const intakes = async (changeId: string) =>
      s.t.dataSource.query<Array<{ id: string; status: string; variables: Record<string, unknown> }>>(
        `SELECT id, status, variables FROM process_instance
          WHERE process_key = 'change-intake' AND variables->>'changeId' = $1 ORDER BY started_at, id`,
        [changeId],
      );
    const first = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-910',
      variables: { changeId: 'CHG-910' },
    });
    const again = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-910',
      timeToLive: 60_000,
      variables: { changeId: 'CHG-910', round: 2 },
    });
    const dropped = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-910',
      variables: { changeId: 'CHG-910' },
    });
    const otherKey = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-911',
      variables: { changeId: 'CHG-911' },
    });

    expect(first.body).toMatchObject({ correlatedTo: { elementId: 'filed' }, buffered: false });
    expect(again.body).toMatchObject({ correlatedTo: null, buffered: true });
    expect(dropped.body).toMatchObject({ correlatedTo: null, buffered: false });
    expect(otherKey.body).toMatchObject({ correlatedTo: { elementId: 'filed' } });
    expect((await intakes('CHG-910')).map((i) => i.status)).toEqual(['running']);

    await publish({ name: 'change-approved', correlationKey: 'CHG-910' });

    const [ended, next] = await intakes('CHG-910');
    expect(ended!.id).toBe(first.body.correlatedTo.instanceId);
    expect(ended!.status).toBe('completed');
    expect(next).toMatchObject({ status: 'running', variables: { round: 2 } });
    expect(await waitingAt(next!.id)).toEqual(['await-approval']);
    expect(await history(next!.id, 'message.correlated')).toEqual([
      expect.objectContaining({
        element_id: 'filed',
        data: expect.objectContaining({ buffered: true, started: true }),
      }),
    ]);
    const [{ n }] = await s.t.dataSource.query(
      `SELECT count(*)::int AS n FROM message WHERE name = 'change-filed' AND correlation_key = 'CHG-910' AND correlated_at IS NULL AND expires_at > now()`,
    );
    expect(n).toBe(0);
  });

  it('given an instance started by a message with a correlation key, when the service restarts and the key comes again, then still no second instance starts: the message waits buffered across another restart and starts the next one when the first ends', async () => {
    const intakes = async () =>
      s.t.dataSource.query<Array<{ id: string; status: string; variables: Record<string, unknown> }>>(
        `SELECT id, status, variables FROM process_instance
          WHERE process_key = 'change-intake' AND variables->>'changeId' = 'CHG-930' ORDER BY started_at, id`,
      );
    const first = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-930',
      variables: { changeId: 'CHG-930' },
    });
    expect(first.body).toMatchObject({ correlatedTo: { elementId: 'filed' }, buffered: false });
    await restart();

    const dropped = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-930',
      variables: { changeId: 'CHG-930' },
    });
    const again = await publish({
      name: 'change-filed',
      correlationKey: 'CHG-930',
      timeToLive: 60_000,
      variables: { changeId: 'CHG-930', round: 2 },
    });

    expect(dropped.body).toMatchObject({ correlatedTo: null, buffered: false });
    expect(again.body).toMatchObject({ correlatedTo: null, buffered: true });
    expect((await intakes()).map((i) => i.status)).toEqual(['running']);
    await restart();

    await publish({ name: 'change-approved', correlationKey: 'CHG-930' });

    const [ended, next, ...more] = await intakes();
    expect(ended).toMatchObject({ id: first.body.correlatedTo.instanceId, status: 'completed' });
    expect(next).toMatchObject({ status: 'running', variables: { round: 2 } });
    expect(more).toEqual([]);
  });

  it('given an install with a non-interrupting note boundary, when notes come one after another, across a restart too, then each is taken while the install runs; when it ends the subscription goes', async () => {
    const change = await startChange('CHG-920');
    await publish({ name: 'change-approved', correlationKey: 'CHG-920' });
    await publish({ name: 'window-opened', correlationKey: 'CHG-920' });
    expect(await subscriptions(change.id)).toEqual(['change-note/CHG-920']);

    const first = await publish({
      name: 'change-note',
      correlationKey: 'CHG-920',
      variables: { note: '第一条 (first)' },
    });
    expect(first.body).toMatchObject({ correlatedTo: { instanceId: change.id, elementId: 'note' } });
    expect(await waitingAt(change.id)).toEqual(['install', 'note']);
    expect(await subscriptions(change.id)).toEqual(['change-note/CHG-920']);

    await restart();
    const second = await publish({
      name: 'change-note',
      correlationKey: 'CHG-920',
      variables: { note: '第二条 (second)' },
    });

    expect(second.body).toMatchObject({
      correlatedTo: { instanceId: change.id, elementId: 'note' },
      buffered: false,
    });
    expect((await row(change.id)).variables).toMatchObject({ note: '第二条 (second)' });
    expect(
      (await history(change.id, 'message.correlated')).filter((h) => h.element_id === 'note'),
    ).toHaveLength(2);
    await instances().completeJob((await s.pendingJob(change.id, 'install'))!);
    expect((await row(change.id)).status).toBe('completed');
    expect(await subscriptions(change.id)).toEqual([]);
  });

  it('given a subscription, when the service restarts, then the subscription survives and a message published afterwards is delivered', async () => {
    const change = await startChange('CHG-600');
    await restart();

    const response = await publish({ name: 'change-approved', correlationKey: 'CHG-600' });

    expect(response.body).toMatchObject({ correlatedTo: { instanceId: change.id } });
  });
});
