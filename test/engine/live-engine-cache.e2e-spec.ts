import { join } from 'node:path';
import { InstanceRepository } from '../../src/instances/instance.repository';
import { InstanceService } from '../../src/instances/instance.service';
import { ProcessInstanceEntity } from '../../src/instances/process-instance.entity';
import { EngineScenario } from '../support/engine-scenario';
import type { TestApp } from '../support/test-app';

/**
 * Two service processes on one database, without workers: the jobs are reported by hand to one process or the
 * other, so each keeps a live engine of the instance and the other moves it on behind its back.
 */
describe('the live-engine cache across processes', () => {
  let s: EngineScenario;
  let second: TestApp;

  beforeAll(async () => {
    // The fixtures folder holds a process with this job type; no job runs here.
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.flaky'],
      workers: false,
    });
    second = await s.startAnother();
  });
  afterAll(async () => {
    await second.stop();
    await s.close();
  });

  const instancesOf = (app: 'first' | 'second') =>
    app === 'first' ? s.instances() : second.get<InstanceService>(InstanceService);
  const pendingJob = async (instanceId: string, elementId: string) => {
    const jobs = await s.pendingJobs(instanceId, elementId);
    if (jobs.length !== 1) throw new Error(`expected one pending job at ${elementId}, found ${jobs.length}`);
    return jobs[0]!;
  };

  it('given an instance started by one process, when the same process goes on with it, then the live engine is used', async () => {
    const before = instancesOf('first').engineCacheStats();
    const instance = await instancesOf('first').start('two-service-tasks', {});

    await instancesOf('first').completeJob(await pendingJob(instance.id, 'first'), { step: 1 });

    const after = instancesOf('first').engineCacheStats();
    expect(after.hits - before.hits).toBe(1);
    expect(await pendingJob(instance.id, 'second')).toBeDefined();
  });

  it('given a live engine in one process, when another process advanced the instance meanwhile, then the stale engine is never used and the instance ends once', async () => {
    const instance = await instancesOf('first').start('two-service-tasks', {});
    await instancesOf('second').completeJob(await pendingJob(instance.id, 'first'), { step: 1 });
    const staleBefore = instancesOf('first').engineCacheStats().stale;

    await instancesOf('first').completeJob(await pendingJob(instance.id, 'second'), { step: 2 });

    expect(instancesOf('first').engineCacheStats().stale - staleBefore).toBe(1);
    const row = await s.row(instance.id);
    expect(row).toMatchObject({ status: 'completed', variables: { step: 2 } });
    expect(await s.history(instance.id)).toEqual([
      'instance.started:',
      'activity.start:start',
      'activity.end:start',
      'flow.take:to-first',
      'activity.start:first',
      'activity.wait:first',
      'job.completed:first',
      'activity.end:first',
      'flow.take:to-second',
      'activity.start:second',
      'activity.wait:second',
      'job.completed:second',
      'activity.end:second',
      'flow.take:to-done',
      'activity.start:done',
      'activity.end:done',
      'instance.completed:',
    ]);
  });

  it('given a waiting instance and an ended one, when a pass locks each (alone or through its job), then it reads as the ORM reads it, its engine state too', async () => {
    const waiting = await instancesOf('first').start('two-service-tasks', {});
    const ended = await instancesOf('first').start('two-service-tasks', {});
    await instancesOf('first').completeJob(await pendingJob(ended.id, 'first'), { step: 1 });
    await instancesOf('first').completeJob(await pendingJob(ended.id, 'second'), { step: 2 });
    const repository = s.t.get<InstanceRepository>(InstanceRepository);

    for (const { id } of [waiting, ended]) {
      const locked = await s.t.dataSource.transaction((manager) => repository.lock(manager, id));
      const orm = await s.t.dataSource.getRepository(ProcessInstanceEntity).findOneBy({ id });

      expect(locked).toEqual(orm);
      expect(JSON.stringify(locked)).toBe(JSON.stringify(orm));
    }
    const [locked, lockedEnded] = await s.t.dataSource.transaction(async (manager) => [
      await repository.lock(manager, waiting.id),
      await repository.lock(manager, ended.id),
    ]);
    expect(locked!.engineState).toMatchObject({ definitions: [expect.any(Object)] });
    expect(lockedEnded!.engineState).toBeNull();
    const withJob = await s.t.dataSource.transaction(async (manager) =>
      repository.lockWithJob(manager, await pendingJob(waiting.id, 'first')),
    );
    expect(withJob!.instance).toEqual(locked);
  });

  it('given a completion whose transaction rolls back, when the job is reported again, then the instance goes on from the stored state', async () => {
    const instances = instancesOf('first');
    const instance = await instances.start('two-service-tasks', {});
    const jobId = await pendingJob(instance.id, 'first');

    await expect(
      instances.transaction(async (manager) => {
        await instances.completeJobIn(manager, jobId, { step: 1 });
        throw new Error('the commit fails');
      }),
    ).rejects.toThrow('the commit fails');
    await instances.completeJob(jobId, { step: 1 });

    expect(await pendingJob(instance.id, 'second')).toBeDefined();
    expect((await s.history(instance.id)).filter((h) => h === 'job.completed:first')).toHaveLength(1);
  });
});
