import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app';
import { ReleaseDriver } from '../support/release-driver';

/** Bad input gets a clear 4xx with a reason, and stored data stays as it was. */
describe('bad input', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    driver = new ReleaseDriver(await t.app.getUrl(), t.tokens);
  });
  afterAll(() => t.close());

  /** Everything a request could have changed. */
  const snapshot = async () =>
    t.dataSource.query(`SELECT
      (SELECT count(*) FROM release)::int AS releases,
      (SELECT count(*) FROM process_instance)::int AS instances,
      (SELECT coalesce(sum(revision), 0) FROM process_instance)::int AS revisions,
      (SELECT count(*) FROM user_task WHERE status = 'open')::int AS open_tasks,
      (SELECT count(*) FROM history_event)::int AS history,
      (SELECT count(*) FROM job)::int AS jobs,
      (SELECT coalesce(max(last_value), 0) FROM release_number_counter)::int AS last_number`);

  const expectRefused = async (
    method: string,
    path: string,
    body: unknown,
    status: number,
    message: RegExp,
    as = path.startsWith('/api/releases') && method === 'POST' && !path.endsWith('/cancel')
      ? 'applicant'
      : 'project-manager',
  ): Promise<{ status: number; body: any }> => {
    const before = await snapshot();
    const response = await driver.call(method, path, body, as);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ statusCode: status, message: expect.stringMatching(message) });
    expect(await snapshot()).toEqual(before);
    return response;
  };

  it('refuses an unknown release class', async () => {
    const response = await expectRefused(
      'POST',
      '/api/releases',
      { class: 'urgent', request: { title: 'x', source: 'software', rollbackPlan: 'y' } },
      400,
      /class/,
    );
    expect(response.body.details).toEqual([expect.objectContaining({ field: 'class' })]);
  });

  it('refuses a request without its required fields, naming each', async () => {
    const response = await expectRefused(
      'POST',
      '/api/releases',
      { class: 'standard', request: { scope: 'all' } },
      400,
      /title/,
    );
    const fields = response.body.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['request.title', 'request.source']));
  });

  it('refuses a standard release without a rollback plan', async () => {
    await expectRefused(
      'POST',
      '/api/releases',
      { class: 'standard', request: { title: 'x', source: 'software' } },
      400,
      /rollback plan/,
    );
  });

  it('refuses fields the form does not have', async () => {
    await expectRefused(
      'POST',
      '/api/releases',
      { class: 'emergency', request: { title: 'x', source: 'software', isAdmin: true } },
      400,
      /isAdmin/,
    );
  });

  it('refuses a body that is not JSON', async () => {
    const before = await snapshot();
    const response = await fetch(`${await t.app.getUrl()}/api/releases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"class": ',
    });
    expect(response.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('answers 404 for a task that does not exist, and 400 for an id that is not one', async () => {
    await expectRefused('POST', `/api/tasks/${randomUUID()}/complete`, { data: {} }, 404, /does not exist/);
    await expectRefused('POST', '/api/tasks/42/complete', { data: {} }, 400, /uuid/i);
    await expectRefused('GET', `/api/releases/REL-1999-0001`, undefined, 404, /does not exist/);
  });

  describe('on an open task', () => {
    let task: { id: string };
    let releaseId: string;
    beforeAll(async () => {
      const release = await driver.file('standard');
      releaseId = release.id;
      task = await driver.openTask(release.id, 'assess-request');
    });

    it('refuses data that is not an object', async () => {
      await expectRefused('POST', `/api/tasks/${task.id}/complete`, { data: ['approve'] }, 400, /data/);
    });

    it('refuses variable names the engine reserves', async () => {
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        { data: { content: 'x' } },
        400,
        /reserved/,
      );
    });

    it('refuses variables over the size cap with 413', async () => {
      const big = 'x'.repeat(t.config.variablesMaxBytes + 1);
      await expectRefused('POST', `/api/tasks/${task.id}/complete`, { data: { note: big } }, 413, /limit/);
    });

    it('refuses a body without a token with 401', async () => {
      const response = await fetch(`${await t.app.getUrl()}/api/tasks/${task.id}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: {} }),
      });
      expect(response.status).toBe(401);
    });

    it('completes once; a second completion gets 409 and changes nothing', async () => {
      const first = await driver.complete(task as never, {
        assessmentDecision: 'reject',
        impactAssessment: 'none',
      });
      expect(first.status).toBe(200);
      // The rejection's notification job moves the instance on by itself: let it end, so only the second
      // completion could change what is stored.
      await driver.waitForEnd(releaseId);
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        { data: { assessmentDecision: 'approve', impactAssessment: 'none' } },
        409,
        /already completed/,
      );
      const stored = await driver.call('GET', `/api/tasks/${task.id}`, undefined, 'project-manager');
      expect(stored.body.output).toEqual({ assessmentDecision: 'reject', impactAssessment: 'none' });
    });
  });

  it('cancels a running release once; a second cancel gets 409', async () => {
    const release = await driver.file('standard');
    await driver.openTask(release.id, 'assess-request');
    const cancelled = await driver.call(
      'POST',
      `/api/releases/${release.id}/cancel`,
      { reason: 'superseded' },
      'project-manager',
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const tasks = await driver.call(
      'GET',
      `/api/tasks?releaseId=${release.id}`,
      undefined,
      'project-manager',
    );
    expect(tasks.body.items).toEqual([]);
    await expectRefused('POST', `/api/releases/${release.id}/cancel`, { reason: 'again' }, 409, /cancelled/);
    await expectRefused('POST', `/api/releases/${release.id}/cancel`, {}, 400, /reason/);
  });
});
