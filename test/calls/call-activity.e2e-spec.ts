import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';

/**
 * A change process that calls an install process: the child is its own instance linked to its parent, the parent
 * waits, the child's end completes the parent's call activity, cancelling the parent cancels the child, and the
 * child's incidents show on the parent's view. No
 * workers run: the child's install job is reported by hand.
 */
describe('call activities', () => {
  let scenario: EngineScenario;

  beforeAll(async () => {
    scenario = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.install'],
      workers: false,
    });
  });
  afterAll(() => scenario.close());

  const instances = () => scenario.instances();
  const row = (id: string) => scenario.row(id);
  const childOf = async (parentId: string) => {
    const [child] = await scenario.t.dataSource.query<
      Array<{ id: string; process_key: string; status: string }>
    >(
      `SELECT id, process_key, status FROM process_instance WHERE parent_instance_id = $1 ORDER BY started_at LIMIT 1`,
      [parentId],
    );
    if (!child) throw new Error(`instance ${parentId} has no child`);
    return child;
  };
  const installJob = async (instanceId: string) => {
    const job = await scenario.pendingJob(instanceId, 'install');
    if (!job) throw new Error(`no pending install job of instance ${instanceId}`);
    return job;
  };

  it('given a change that calls the install process, when the child ends, then the parent goes on with its variables, and a child that ends at once completes its call in the same step', async () => {
    const parent = await instances().start(
      'change-with-install',
      { changeId: 'CHG-1' },
      { businessKey: 'CHG-1' },
    );
    const child = await childOf(parent.id);
    expect(child).toMatchObject({ process_key: 'install-child', status: 'running' });
    expect((await row(child.id)).variables).toMatchObject({ changeId: 'CHG-1' });
    expect((await row(parent.id)).waits.map((w) => w.elementId)).toEqual(['do-install']);

    await instances().completeJob(await installJob(child.id), { installedVersion: '2.4.1' });

    const done = await row(parent.id);
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ installedVersion: '2.4.1' });
    // note-child's own variable stays there: that call does not propagate its child's variables.
    expect(done.variables).not.toHaveProperty('childOnly');
    expect((await row(child.id)).status).toBe('completed');
    const history = await scenario.t.dataSource.query<Array<{ type: string; element_id: string }>>(
      `SELECT type, element_id FROM history_event WHERE instance_id = $1 AND type LIKE 'call.%' ORDER BY id`,
      [parent.id],
    );
    expect(history.map((h) => `${h.type}:${h.element_id}`)).toEqual([
      'call.started:do-install',
      'call.completed:do-install',
      'call.started:do-note',
      'call.completed:do-note',
    ]);
  });

  it('given a parent waiting for its child, when the parent is cancelled, then the child is cancelled with it and its job withdrawn', async () => {
    const parent = await instances().start('change-with-install', {});
    const child = await childOf(parent.id);
    const job = await installJob(child.id);

    await instances().transaction((manager) =>
      instances().cancelIn(manager, parent.id, 'change withdrawn', 'admin'),
    );

    expect((await row(child.id)).status).toBe('cancelled');
    const [{ status }] = await scenario.t.dataSource.query('SELECT status FROM job WHERE id = $1', [job]);
    expect(status).toBe('cancelled');
  });

  it('given a child waiting, when the service restarts, then the child is completed afterwards and the parent still follows', async () => {
    const parent = await instances().start('change-with-install', {});
    const child = await childOf(parent.id);
    await scenario.restart();

    await instances().completeJob(await installJob(child.id));

    expect((await row(parent.id)).status).toBe('completed');
  });

  it("given a child whose install job ran out of retries, when the parent's instance or the incident list is viewed, then each shows the child's incident with the child instance, the parent and the call activity; once retried, the parent's list is empty", async () => {
    const parent = await instances().start('change-with-install', { changeId: 'CHG-9' });
    const child = await childOf(parent.id);
    const job = await installJob(child.id);

    await instances().failJob(job, 'the disk is full', 1, true);

    const view = await scenario.t.as('admin').get(`/api/process-instances/${parent.id}`).expect(200);
    expect(view.body.incidents).toEqual([]);
    expect(view.body.childIncidents).toEqual([
      expect.objectContaining({
        instanceId: child.id,
        elementId: 'install',
        callElementId: 'do-install',
        error: expect.stringContaining('the disk is full'),
        status: 'open',
      }),
    ]);
    // The operators' incident list (the incidents page) names the instance that called the child and the call
    // activity there.
    const listed = await scenario.t.as('admin').get('/api/incidents?state=open').expect(200);
    expect(listed.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: view.body.childIncidents[0].id,
          instanceId: child.id,
          parentInstanceId: parent.id,
          callElementId: 'do-install',
        }),
      ]),
    );
    await scenario.t.as('admin').post(`/api/incidents/${view.body.childIncidents[0].id}/retry`).expect(200);
    const after = await scenario.t.as('admin').get(`/api/process-instances/${parent.id}`).expect(200);
    expect(after.body.childIncidents).toEqual([]);
  });
});
