import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver } from '../support/release-driver';

/**
 * A change approved by several reviewers: a parallel multi-instance user task (one inbox task per reviewer, done
 * when two approved), then a sequential multi-instance service task notifying each reviewer in turn, its job seeing
 * its own recipient. No workers run: the jobs are reported by hand, as an external worker would.
 */
describe('multi-instance activities', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.notify'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  const instances = () => s.instances();
  const tasks = async (instanceId: string) =>
    s.t.dataSource.query<Array<{ id: string; execution_id: string; status: string }>>(
      `SELECT id, execution_id, status FROM user_task WHERE instance_id = $1 AND element_id = 'review' ORDER BY execution_id`,
      [instanceId],
    );
  const approve = async (taskId: string, approved: boolean) =>
    s.t.as('test-team').post(`/api/tasks/${taskId}/complete`).send({ data: { approved } }).expect(200);
  const notifyJobs = async (instanceId: string) =>
    s.t.dataSource.query<Array<{ id: string; status: string }>>(
      `SELECT id, status FROM job WHERE instance_id = $1 AND element_id = 'notify' ORDER BY created_at, id`,
      [instanceId],
    );
  const jobVariables = (jobId: string) => s.jobVariables(jobId);
  const instanceRow = (id: string) => s.row(id);
  const restart = () => s.restart();

  it('given three reviewers and "done when two approved", when two approve across a restart, then the third task is withdrawn and each reviewer is notified in turn', async () => {
    const instance = await instances().start('reviewers-approval', { reviewers: ['ann', 'bob', 'cy'] });
    const open = await tasks(instance.id);
    expect(open.map((task) => task.status)).toEqual(['open', 'open', 'open']);
    const view = await s.t.as('admin').get(`/api/process-instances/${instance.id}`).expect(200);
    expect(
      (view.body.activeActivities as Array<{ elementId: string; kind: string }>).filter(
        (a) => a.kind === 'user-task',
      ),
    ).toHaveLength(3);

    await approve(open[0]!.id, true);
    await restart();
    await approve(open[2]!.id, true);

    expect((await tasks(instance.id)).map((task) => task.status)).toEqual([
      'completed',
      'cancelled',
      'completed',
    ]);
    expect((await instanceRow(instance.id)).variables).toMatchObject({ approvals: [true, null, true] });

    for (const [index, recipient] of ['ann', 'bob', 'cy'].entries()) {
      const pending = (await notifyJobs(instance.id)).filter((job) => job.status === 'pending');
      expect(pending).toHaveLength(1);
      expect(await jobVariables(pending[0]!.id)).toMatchObject({ recipient, loopCounter: index + 1 });
      if (index === 1) await restart();
      await instances().completeJob(pending[0]!.id, { receipt: `sent to ${recipient}` });
    }

    const done = await instanceRow(instance.id);
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ receipts: ['sent to ann', 'sent to bob', 'sent to cy'] });
    expect(done.variables).not.toHaveProperty('recipient');
    const history = await s.t.dataSource.query<Array<{ type: string; execution_id: string }>>(
      `SELECT type, execution_id FROM history_event WHERE instance_id = $1 AND element_id = 'review' AND type IN ('activity.wait', 'task.completed') ORDER BY id`,
      [instance.id],
    );
    expect(history.filter((h) => h.type === 'activity.wait')).toHaveLength(3);
    expect(history.filter((h) => h.type === 'task.completed')).toHaveLength(2);
  });

  it('given an input collection that is not a list, when the instance reaches the body, then the start is refused naming the element', async () => {
    await expect(instances().start('reviewers-approval', { reviewers: 'ann' })).rejects.toThrow(/review/);
  });

  it('given a sign-off per environment, when the sign-offs are published across a restart, then each inner receive task takes the one whose key names its own environment', async () => {
    const instance = await instances().start('environment-sign-offs', {
      change: { id: 'CHG-5' },
      environments: ['test', 'prod'],
    });
    const subscriptions = await s.t.dataSource.query<Array<{ correlation_key: string }>>(
      'SELECT correlation_key FROM message_subscription WHERE instance_id = $1 ORDER BY correlation_key',
      [instance.id],
    );
    expect(subscriptions.map((sub) => sub.correlation_key)).toEqual(['CHG-5/prod', 'CHG-5/test']);

    await restart();
    const publish = async (correlationKey: string, by: string) =>
      (
        await ReleaseDriver.forApp(s.t).call(
          'POST',
          '/api/messages/publish',
          { name: 'environment-signed-off', correlationKey, variables: { by } },
          'project-manager',
        )
      ).body as { correlatedTo: unknown };
    expect((await publish('CHG-5/prod', 'ops')).correlatedTo).toMatchObject({ instanceId: instance.id });
    expect((await instanceRow(instance.id)).status).toBe('running');
    expect((await publish('CHG-5/stage', 'qa')).correlatedTo).toBeNull();
    expect((await publish('CHG-5/test', 'qa')).correlatedTo).toMatchObject({ instanceId: instance.id });

    const done = await instanceRow(instance.id);
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ signOffs: ['test:qa', 'prod:ops'] });
  });
});
