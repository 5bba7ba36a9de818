import { JobEntity } from '../../src/instances/job.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { dropTestResources, eventually, newTestResources } from '../support/test-env';

describe('durable timers', () => {
  const resources = newTestResources();
  let t: TestApp | undefined;

  afterAll(async () => {
    await t?.stop();
    await dropTestResources(resources);
  });

  it('given an emergency approval waiting, when no process runs while its escalation timer expires, then the escalation fires on the next start and the approval stays open', async () => {
    t = await startTestApp({ ESCALATION_TIMEOUT: 'PT1.5S' }, resources);
    const filed = await t
      .as('applicant')
      .post('/api/releases')
      .send({ class: 'emergency', request: { title: 'Hotfix payments', source: 'software' } })
      .expect(201);
    const releaseId: string = filed.body.id;
    const timer = await eventually(
      () => t!.dataSource.getRepository(JobEntity).findOneBy({ kind: 'timer', status: 'pending' }),
      { what: 'the escalation timer to be armed' },
    );
    expect(timer.elementId).toBe('escalation-timer');
    await t.stop();

    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, timer.dueAt!.getTime() - Date.now()) + 300),
    );
    t = await startTestApp({ ESCALATION_TIMEOUT: 'PT1.5S' }, resources);

    const escalation = await eventually(
      async () =>
        (
          await t!.dataSource.query(
            `SELECT e.request, e.created_at FROM job_effect e JOIN job j ON j.id = e.job_id
              WHERE j.element_id = 'notify-escalation'`,
          )
        )[0],
      { what: 'the escalation notification' },
    );
    expect(escalation.request.headers).toMatchObject({ template: 'escalation' });
    expect(new Date(escalation.created_at).getTime()).toBeGreaterThanOrEqual(timer.dueAt!.getTime());
    const tasks = await t.as('project-manager').get(`/api/tasks?releaseId=${releaseId}`).expect(200);
    expect(tasks.body.items.map((task: { elementId: string }) => task.elementId)).toEqual([
      'approve-emergency',
    ]);
    const fired = await t.dataSource.getRepository(JobEntity).findOneByOrFail({ id: timer.id });
    expect(fired.status).toBe('completed');
  });
});
