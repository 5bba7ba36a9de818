import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost, EngineRunError, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { DEFAULT_TIMER_BOUNDS } from './timer-bounds';

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
    expect(started.state!.definitions[0]).not.toHaveProperty('source');
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

  describe('the live-engine cache', () => {
    const instance = { id: 'instance-1', revision: 0 };
    const startKept = async (cached: EngineHost) => {
      const started = await cached.run(
        process,
        null,
        { type: 'start', variables: { escalationTimeout: 'PT1H' } },
        new Set(),
        undefined,
        instance,
      );
      cached.keep(started, 1);
      return started;
    };
    const approve = (cached: EngineHost, from: EngineRun, revision: number) =>
      cached.run(
        process,
        from.state,
        {
          type: 'complete',
          elementId: 'approve',
          executionId: waitAt(from, 'approve').executionId,
          variables: { decision: 'approve' },
        },
        new Set(from.waits.map((w) => w.executionId)),
        undefined,
        { id: instance.id, revision },
      );

    it('given a kept engine at the stored revision, when the next command comes, then it is applied to the live engine with the result a rebuilt one gives', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);

      const hit = await approve(cached, started, 1);
      const rebuilt = await approve(new EngineHost(), started, 1);

      expect(hit.cache).toBe('hit');
      expect(rebuilt.cache).toBe('miss');
      expect(hit.waits.map((w) => [w.elementId, w.kind])).toEqual(
        rebuilt.waits.map((w) => [w.elementId, w.kind]),
      );
      expect(hit.steps.map((s) => `${s.type} ${s.elementId}`)).toEqual(
        rebuilt.steps.map((s) => `${s.type} ${s.elementId}`),
      );
      expect(hit.variables).toEqual(rebuilt.variables);
      expect(cached.cacheStats()).toMatchObject({ hits: 1, misses: 0 });
    });

    it('given a kept engine, when the next command comes, then the stored state is not read; rebuilt, it is read once', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);
      const reads = { hit: 0, miss: 0 };
      const reader = (key: keyof typeof reads) => () => {
        reads[key] += 1;
        return started.state;
      };
      const command = {
        type: 'complete',
        elementId: 'approve',
        executionId: waitAt(started, 'approve').executionId,
        variables: { decision: 'approve' },
      } as const;
      const known = new Set(started.waits.map((w) => w.executionId));

      const hit = await cached.run(process, reader('hit'), command, known, undefined, {
        id: instance.id,
        revision: 1,
      });
      const miss = await new EngineHost().run(process, reader('miss'), command, known, undefined, {
        id: instance.id,
        revision: 1,
      });

      expect([hit.cache, miss.cache]).toEqual(['hit', 'miss']);
      expect(reads).toEqual({ hit: 0, miss: 1 });
    });

    it('given a run that waits, then it carries the JSON text of its state, to be stored as it is', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);

      const approved = await approve(cached, started, 1);

      expect(started.stateJson).toBe(JSON.stringify(started.state));
      expect(approved.stateJson).toBe(JSON.stringify(approved.state));
      expect(JSON.parse(approved.stateJson!)).toMatchObject({ eventSubProcesses: expect.any(Object) });
    });

    it('given a kept engine, when the stored revision has moved on (another process advanced it), then the engine is dropped and rebuilt from the stored state', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);

      const run = await approve(cached, started, 2);

      expect(run.cache).toBe('miss');
      expect(cached.cacheStats()).toMatchObject({ hits: 0, stale: 1, entries: 0 });
      expect(run.waits.map((w) => w.elementId)).toEqual(['work']);
    });

    it('given a run whose transaction did not commit, when it is discarded, then the next command rebuilds from the stored state', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);
      const lost = await approve(cached, started, 1);
      cached.discard(lost);

      const again = await approve(cached, started, 1);

      expect(again.cache).toBe('miss');
      expect(again.waits.map((w) => w.elementId)).toEqual(['work']);
    });

    it('given more live engines than the memory bound allows, when another is kept, then the least recently used ones are evicted', async () => {
      const cached = new EngineHost({
        feelTimeoutMs: 1000,
        timers: DEFAULT_TIMER_BOUNDS,
        cache: { maxEntries: 100, maxBytes: 1 },
      });
      await startKept(cached);

      expect(cached.cacheStats()).toMatchObject({ entries: 0, evictions: 1 });
    });

    it('given a bound of two entries, when a third instance is kept, then the oldest is evicted and the others still hit', async () => {
      const cached = new EngineHost({
        feelTimeoutMs: 1000,
        timers: DEFAULT_TIMER_BOUNDS,
        cache: { maxEntries: 2, maxBytes: 1024 * 1024 * 1024 },
      });
      const runs: EngineRun[] = [];
      for (const id of ['a', 'b', 'c']) {
        const run = await cached.run(
          process,
          null,
          { type: 'start', variables: { escalationTimeout: 'PT1H' } },
          new Set(),
          undefined,
          { id, revision: 0 },
        );
        cached.keep(run, 1);
        runs.push(run);
      }
      expect(cached.cacheStats()).toMatchObject({ entries: 2, evictions: 1 });

      const first = await cached.run(
        process,
        runs[0]!.state,
        { type: 'wake' },
        new Set(runs[0]!.waits.map((w) => w.executionId)),
        undefined,
        { id: 'a', revision: 1 },
      );
      const last = await cached.run(
        process,
        runs[2]!.state,
        { type: 'wake' },
        new Set(runs[2]!.waits.map((w) => w.executionId)),
        undefined,
        { id: 'c', revision: 1 },
      );
      expect([first.cache, last.cache]).toEqual(['miss', 'hit']);
      cached.clearCache();
    });

    it('given a finished instance, when its run ends the process, then no engine is kept', async () => {
      const cached = new EngineHost();
      const started = await startKept(cached);
      const approved = await approve(cached, started, 1);
      cached.keep(approved, 2);
      const work = waitAt(approved, 'work');

      const done = await cached.run(
        process,
        approved.state,
        { type: 'complete', elementId: 'work', executionId: work.executionId, variables: {} },
        new Set([work.executionId]),
        undefined,
        { id: instance.id, revision: 2 },
      );
      cached.keep(done, 3);

      expect(done.finished).toBe(true);
      expect(done.stateJson).toBeNull();
      expect(cached.cacheStats()).toMatchObject({ hits: 2, entries: 0 });
    });
  });
});
