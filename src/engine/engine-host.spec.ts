import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost, EngineRunError, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('EngineHost', () => {
  const host = new EngineHost();
  let process: CompiledProcess;

  beforeAll(async () => {
    process = await compileProcess(fixture('escalation.bpmn'));
  });

  const waitAt = (run: EngineRun, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${JSON.stringify(run.waits)}`);
    return wait;
  };

  it('given a started instance, when its state is stored without the source, then it resumes and routes on task output', async () => {
    const started = await host.run(process, null, {
      type: 'start',
      variables: { escalationTimeout: 'PT1H' },
    });
    expect(started.state.definitions[0]).not.toHaveProperty('source');
    expect(started.waits.map((w) => [w.elementId, w.kind])).toEqual(
      expect.arrayContaining([
        ['approve', 'user-task'],
        ['esc', 'timer'],
      ]),
    );
    expect(waitAt(started, 'esc').expireAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);

    const approve = waitAt(started, 'approve');
    const known = new Set(started.waits.map((w) => w.executionId));
    const approved = await host.run(
      process,
      JSON.parse(JSON.stringify(started.state)),
      {
        type: 'complete',
        elementId: 'approve',
        executionId: approve.executionId,
        variables: { decision: 'approve' },
      },
      known,
    );
    expect(approved.variables).toMatchObject({ decision: 'approve', escalationTimeout: 'PT1H' });
    expect(approved.steps.filter((s) => s.type === 'flow.take').map((s) => s.elementId)).toEqual([
      'f2',
      'fyes',
    ]);
    expect(approved.waits.map((w) => [w.elementId, w.kind])).toEqual([['work', 'service-task']]);
    expect(approved.steps.some((s) => s.type === 'activity.wait' && s.elementId === 'approve')).toBe(false);

    const work = waitAt(approved, 'work');
    const done = await host.run(
      process,
      approved.state,
      { type: 'complete', elementId: 'work', executionId: work.executionId, variables: {} },
      new Set([work.executionId]),
    );
    expect(done.finished).toBe(true);
    expect(done.endStatus).toBe('closed');
    expect(done.waits).toEqual([]);
  });

  it('given a timer the host holds due, when the instance is woken with it, then the timer fires and its branch runs', async () => {
    const started = await host.run(process, null, {
      type: 'start',
      variables: { escalationTimeout: 'PT1H' },
    });
    const woken = await host.run(
      process,
      started.state,
      { type: 'wake', due: [waitAt(started, 'esc').executionId] },
      new Set(started.waits.map((w) => w.executionId)),
    );
    expect(woken.waits.map((w) => w.elementId).sort()).toEqual(['approve', 'escnotify']);
    expect(woken.steps.map((s) => `${s.type} ${s.elementId}`)).toContain('activity.end esc');
  });

  it('given a host clock a day ahead, when a timer starts, then its expiry is on that clock', async () => {
    const hostNow = new Date(Date.now() + 86_400_000);
    const started = await host.run(
      process,
      null,
      { type: 'start', variables: { escalationTimeout: 'PT1H' } },
      new Set(),
      hostNow,
    );
    const expiry = waitAt(started, 'esc').expireAt!.getTime() - hostNow.getTime();
    expect(expiry).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(expiry).toBeLessThanOrEqual(3_600_000 + 1000);
  });

  it('given a timer not yet due, when woken early, then it keeps waiting with its original expiry', async () => {
    const started = await host.run(process, null, {
      type: 'start',
      variables: { escalationTimeout: 'PT1H' },
    });
    const woken = await host.run(
      process,
      started.state,
      { type: 'wake' },
      new Set(started.waits.map((w) => w.executionId)),
    );
    expect(waitAt(woken, 'esc').expireAt).toEqual(waitAt(started, 'esc').expireAt);
    expect(woken.steps).toEqual([]);
  });

  it('refuses to complete an activity that is not waiting', async () => {
    const started = await host.run(process, null, {
      type: 'start',
      variables: { escalationTimeout: 'PT1H' },
    });
    await expect(
      host.run(process, started.state, {
        type: 'complete',
        elementId: 'work',
        executionId: 'work_x',
        variables: {},
      }),
    ).rejects.toThrow(EngineRunError);
  });
});
