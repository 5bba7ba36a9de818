import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { JobBpmnError } from '../../src/queue/job-handler.port';
import { EngineScenario } from '../support/engine-scenario';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/**
 * A job whose work ends in a BPMN error (Camunda 8's "throw error"): caught by the error boundary of the install
 * sub-process, which leads to the rollback; an error code nothing catches is an incident. No workers run: the
 * jobs are reported by hand, as an external worker would.
 */
describe('BPMN errors thrown by jobs', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.install', 'test.verify', 'test.rollback'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  const instances = () => s.instances();
  const pendingJob = async (instanceId: string, elementId: string) => {
    const job = await s.pendingJob(instanceId, elementId);
    if (!job) throw new Error(`no pending job at ${elementId}`);
    return job;
  };
  const waits = async (instanceId: string) => (await s.row(instanceId)).waits.map((w) => w.elementId);

  it('given an install job, when its worker throws the error the boundary catches, then the install is left and the rollback job is created', async () => {
    const instance = await instances().start('install-with-rollback', {});
    const install = await pendingJob(instance.id, 'install');

    const outcome = await instances().throwJobError(install, 'INSTALL_FAILED', 'disk full', {
      cause: 'disk full',
    });

    expect(outcome).toBe('caught');
    expect(await waits(instance.id)).toEqual(['rollback']);
    const [job] = await s.t.dataSource.query('SELECT status FROM job WHERE id = $1', [install]);
    expect(job.status).toBe('completed');
    await instances().completeJob(await pendingJob(instance.id, 'rollback'));
    const [row] = await s.t.dataSource.query('SELECT status, variables FROM process_instance WHERE id = $1', [
      instance.id,
    ]);
    expect(row).toMatchObject({ status: 'completed', variables: { cause: 'disk full' } });
  });

  it('given an error code nothing catches, when a worker throws it, then an incident names the code, the instance waits, and a retry runs the job again', async () => {
    const instance = await instances().start('install-with-rollback', {});
    const install = await pendingJob(instance.id, 'install');

    const outcome = await instances().throwJobError(install, 'NOBODY_CATCHES', 'unexpected');

    expect(outcome).toBe('incident');
    const [incident] = await s.t.dataSource.query<Array<{ id: string; error: string; error_type: string }>>(
      `SELECT id, error, error_type FROM incident WHERE instance_id = $1 AND status = 'open'`,
      [instance.id],
    );
    expect(incident!.error).toMatch(/NOBODY_CATCHES/);
    expect(incident!.error_type).toBe('UNHANDLED_ERROR_EVENT');
    expect(await waits(instance.id)).toContain('install');
    await instances().retryIncident(incident!.id, 'admin');
    await instances().completeJob(await pendingJob(instance.id, 'install'));
    expect(await waits(instance.id)).toContain('verify');
  });

  it('given a job already finished, when an error is thrown for it, then nothing changes', async () => {
    const instance = await instances().start('install-with-rollback', {});
    const install = await pendingJob(instance.id, 'install');
    await instances().completeJob(install);

    expect(await instances().throwJobError(install, 'INSTALL_FAILED', 'late')).toBe('duplicate');
    expect(await waits(instance.id)).toContain('verify');
  });
});

describe('a job handler that throws a BPMN error', () => {
  let t: TestApp;
  const install = {
    jobType: 'test.install',
    handle: async (context: { variables: Record<string, unknown> }) => {
      if (context.variables.diskFull)
        throw new JobBpmnError('INSTALL_FAILED', 'the disk is full', { cause: 'disk' });
      return {};
    },
  };
  const others = ['test.verify', 'test.rollback'].map((jobType) => ({ jobType, handle: async () => ({}) }));

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, 'fixtures') }, undefined, [install, ...others]);
  });
  afterAll(() => t.close());

  it('given a worker whose install hits a full disk, when it throws the error, then the rollback runs and the instance ends rolled back, with no retry spent', async () => {
    const instance = await t
      .get<InstanceService>(InstanceService)
      .start('install-with-rollback', { diskFull: true });

    const ended = await eventually(
      async () => {
        const [row] = await t.dataSource.query(
          'SELECT status, variables FROM process_instance WHERE id = $1',
          [instance.id],
        );
        return row.status === 'completed' ? row : undefined;
      },
      { what: 'the instance to end' },
    );

    expect(ended.variables).toMatchObject({ cause: 'disk' });
    const jobs = await t.dataSource.query(
      `SELECT element_id, status, attempts FROM job WHERE instance_id = $1 ORDER BY created_at`,
      [instance.id],
    );
    expect(jobs).toEqual([
      { element_id: 'install', status: 'completed', attempts: 0 },
      { element_id: 'rollback', status: 'completed', attempts: 1 },
    ]);
  });
});
