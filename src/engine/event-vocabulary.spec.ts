import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost, type EngineCommand, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { SIGNAL_BROADCAST_JOB_TYPE } from './throw-job-events';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * Events beyond catching: throw and end events worked as jobs, run on a live engine and on one rebuilt from the
 * stored state (the durable path does both); both must agree.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('events on %s', (_name, live) => {
  let host: EngineHost;
  let revision: number;
  beforeEach(() => {
    host = new EngineHost();
    revision = 0;
  });
  afterEach(() => host.clearCache());

  const apply = async (process: CompiledProcess, previous: EngineRun | null, command: EngineCommand) => {
    const run = await host.run(
      process,
      previous?.state ?? null,
      command,
      new Set(previous?.waits.map((w) => w.executionId) ?? []),
      undefined,
      live ? { id: 'instance', revision } : undefined,
    );
    revision += 1;
    if (live) host.keep(run, revision);
    return run;
  };
  const waitAt = (run: EngineRun, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${run.waits.map((w) => w.elementId).join(', ')}`);
    return wait;
  };
  const complete = (process: CompiledProcess, run: EngineRun, elementId: string, variables = {}) =>
    apply(process, run, {
      type: 'complete',
      elementId,
      executionId: waitAt(run, elementId).executionId,
      variables,
    });

  it('given message and signal throw events and a message end event, when each job is done, then the next one waits for its own, and the instance ends after the last', async () => {
    const process = await compileProcess(fixture('throw-events.bpmn'));
    expect(process.elements.get('inform-cab')?.jobType).toBe('cab.inform');
    expect(process.elements.get('freeze')).toMatchObject({
      jobType: SIGNAL_BROADCAST_JOB_TYPE,
      headers: { signalName: 'change-freeze' },
    });

    const started = await apply(process, null, { type: 'start', variables: {} });
    expect(started.waits.map((w) => [w.elementId, w.kind])).toEqual([['inform-cab', 'service-task']]);

    const informed = await complete(process, started, 'inform-cab', { cabInformed: true });
    expect(informed.waits.map((w) => [w.elementId, w.kind])).toEqual([['freeze', 'service-task']]);
    expect(informed.variables).toMatchObject({ cabInformed: true });

    const frozen = await complete(process, informed, 'freeze');
    expect(frozen.waits.map((w) => [w.elementId, w.kind])).toEqual([['close-change', 'service-task']]);
    expect(frozen.finished).toBe(false);

    const closed = await complete(process, frozen, 'close-change', { closedBy: 'CAB' });
    expect(closed.finished).toBe(true);
    expect(closed.variables).toMatchObject({ cabInformed: true, closedBy: 'CAB' });
  });
});
