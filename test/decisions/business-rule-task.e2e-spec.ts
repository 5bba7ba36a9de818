import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/** Business rule tasks call deployed decisions (the DMN files beside the processes are deployed on start). */
describe('business rule tasks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, 'fixtures') });
  });
  afterAll(() => t.close());

  const instances = () => t.get<InstanceService>(InstanceService);
  const instanceRow = async (id: string) =>
    (
      await t.dataSource.query<Array<{ status: string; variables: Record<string, unknown> }>>(
        'SELECT status, variables FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!;
  const openIncident = (instanceId: string) =>
    eventually(
      async () =>
        (
          await t.dataSource.query<Array<{ id: string; error: string }>>(
            `SELECT id, error FROM incident WHERE instance_id = $1 AND status = 'open'`,
            [instanceId],
          )
        )[0],
      { what: 'an incident' },
    );

  it('given a release classification table, when an instance reaches the business rule task, then the decision result lands in the result variable and the instance ends', async () => {
    const instance = await instances().start('classify-release', {
      urgent: false,
      risk: '低',
      impact: '单个系统',
    });

    const done = await eventually(
      async () =>
        (await instanceRow(instance.id)).status === 'completed' ? instanceRow(instance.id) : undefined,
      { what: 'the instance to complete' },
    );

    expect(done.variables.classification).toEqual({ releaseClass: 'standard', className: '标准发布' });
  });

  it('given a UNIQUE table where two rules match, when the task runs, then an incident names the decision and its inputs, and the instance waits', async () => {
    const instance = await instances().start('release-window', { downtimeMinutes: 30 });

    const incident = await openIncident(instance.id);

    expect(incident.error).toMatch(/overlapping-windows/);
    expect(incident.error).toMatch(/30/);
    expect((await instanceRow(instance.id)).status).toBe('running');
  });
});
