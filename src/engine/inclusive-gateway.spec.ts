import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EngineCommand, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * An inclusive fork and join: the join goes on once every branch the fork took has arrived, and not before; on a
 * live engine and on one rebuilt from the stored state between commands.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('the inclusive gateway on %s', (_name, live) => {
  let stepper: EngineStepper;
  let process: CompiledProcess;
  beforeAll(async () => {
    process = await compileProcess(fixture('inclusive-checks.bpmn'));
  });
  beforeEach(() => {
    stepper = new EngineStepper(live);
  });
  afterEach(() => stepper.clear());

  const apply = (previous: EngineRun | null, command: EngineCommand) =>
    stepper.apply(process, previous, command);
  const complete = (run: EngineRun, elementId: string, variables = {}) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${run.waits.map((w) => w.elementId).join(', ')}`);
    return apply(run, { type: 'complete', elementId, executionId: wait.executionId, variables });
  };
  const waiting = (run: EngineRun) => run.waits.map((w) => w.elementId).sort();

  it('given a high-risk change with a schema change, when the fork takes two of three branches, then the join waits for both and goes on once', async () => {
    const started = await apply(null, { type: 'start', variables: { risk: 'high', schemaChange: true } });
    expect(waiting(started)).toEqual(['schema-check', 'security-review']);

    const oneDone = await complete(started, 'schema-check');
    expect(waiting(oneDone)).toEqual(['security-review']);

    const bothDone = await complete(oneDone, 'security-review');
    expect(waiting(bothDone)).toEqual(['approve']);
    expect(bothDone.steps.filter((s) => s.type === 'activity.end' && s.elementId === 'join')).toHaveLength(1);
    expect((await complete(bothDone, 'approve')).finished).toBe(true);
  });

  it('given a low-risk change without schema change, when no condition holds, then the default branch alone is taken and joined', async () => {
    const started = await apply(null, { type: 'start', variables: { risk: 'low', schemaChange: false } });
    expect(waiting(started)).toEqual(['standard-check']);

    expect(waiting(await complete(started, 'standard-check'))).toEqual(['approve']);
  });

  it('given one condition true, when its branch ends, then the join goes on without waiting for the untaken ones', async () => {
    const started = await apply(null, { type: 'start', variables: { risk: 'high', schemaChange: false } });
    expect(waiting(started)).toEqual(['security-review']);

    expect(waiting(await complete(started, 'security-review'))).toEqual(['approve']);
  });
});
