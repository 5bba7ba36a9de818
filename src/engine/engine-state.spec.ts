import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost, type EngineRun } from './engine-host';
import { withVariables } from './engine-state';
import { compileProcess, type CompiledProcess } from './process-model';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('engine state: variables set between commands, and signal waits', () => {
  const host = new EngineHost();
  let patched: CompiledProcess;
  let signals: CompiledProcess;

  beforeAll(async () => {
    patched = await compileProcess(fixture('patched-route.bpmn'));
    signals = await compileProcess(fixture('signals.bpmn'));
  });

  const waitAt = (run: EngineRun, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${JSON.stringify(run.waits)}`);
    return wait;
  };
  const complete = (process: CompiledProcess, run: EngineRun, elementId: string, variables = {}) =>
    host.run(
      process,
      JSON.parse(JSON.stringify(run.state)),
      { type: 'complete', elementId, executionId: waitAt(run, elementId).executionId, variables },
      new Set(run.waits.map((w) => w.executionId)),
    );
  const ended = (run: EngineRun) =>
    run.steps.filter((s) => s.type === 'activity.end').map((s) => s.elementId);

  it('given an instance waiting inside a sub-process with route "slow", when the stored state gets route "fast", then the gateways inside and after the sub-process route on it', async () => {
    const started = await host.run(patched, null, { type: 'start', variables: { route: 'slow', keep: 1 } });

    const state = withVariables(started.state!, { route: 'fast' });
    const inner = await complete(patched, { ...started, state }, 'inner-wait');
    const done = await complete(patched, inner, 'wait');

    expect(ended(inner)).toContain('inner-fast');
    expect(ended(done)).toContain('fast');
    expect(done.variables).toMatchObject({ route: 'fast', keep: 1 });
    expect(JSON.stringify(started.state)).not.toContain('"route":"fast"');
  });

  it('given the variables of an unpatched state, when it resumes, then it routes as before (the control case)', async () => {
    const started = await host.run(patched, null, { type: 'start', variables: { route: 'slow' } });

    const inner = await complete(patched, started, 'inner-wait');

    expect(ended(inner)).toContain('inner-slow');
  });

  it('given a user variable shaped like an engine environment, when variables are set, then it is left as it was', async () => {
    const nested = { environment: { variables: { route: 'untouched' } } };
    const started = await host.run(patched, null, { type: 'start', variables: { nested } });

    const state = withVariables(started.state!, { route: 'fast' });

    expect(JSON.stringify(state)).toContain(JSON.stringify(nested));
  });

  it('given signal catch and boundary events, when the instance waits at them, then they are signal waits named by their signal, and a completion goes on with its variables', async () => {
    const started = await host.run(signals, null, { type: 'start', variables: {} });
    expect(signals.elements.get('await-window')?.signal).toEqual({ name: 'window-open' });
    expect(signals.elements.get('frozen')?.signal).toEqual({ name: 'change-freeze' });
    expect(started.waits.map((w) => [w.elementId, w.kind])).toEqual([['await-window', 'signal']]);

    const open = await complete(signals, started, 'await-window', { window: 'tonight' });
    expect(open.waits.map((w) => [w.elementId, w.kind]).sort()).toEqual([
      ['frozen', 'signal'],
      ['install', 'user-task'],
    ]);

    const frozen = await complete(signals, open, 'frozen', { reason: 'freeze' });
    expect(frozen.finished).toBe(true);
    expect(ended(frozen)).toContain('stopped');
    expect(frozen.variables).toMatchObject({ window: 'tonight', reason: 'freeze' });
  });
});
