import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineCommand, EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * An error end event whose error nothing catches (Camunda 8's UNHANDLED_ERROR_EVENT): the run that reaches it goes
 * through and the end event waits with an incident naming it and its code. Only a resolution (a completion sent to
 * the end event) throws the error again; other commands on the instance leave the incident alone.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('an error end event nothing catches, on %s', (_name, live) => {
  let stepper: EngineStepper;
  let process: CompiledProcess;
  beforeEach(async () => {
    stepper = new EngineStepper(live);
    process = await compileProcess(fixture('unhandled-error-end.bpmn'));
  });
  afterEach(() => stepper.clear());

  const waitAt = (run: EngineRun, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${run.waits.map((w) => w.elementId).join(', ')}`);
    return wait;
  };
  const complete = (run: EngineRun, elementId: string): Promise<EngineRun> => {
    const command: EngineCommand = {
      type: 'complete',
      elementId,
      executionId: waitAt(run, elementId).executionId,
      variables: {},
    };
    return stepper.apply(process, run, command);
  };
  const waiting = (run: EngineRun) => run.waits.map((w) => `${w.elementId}:${w.kind}`).sort();

  it('given a smoke test beside the announcement, when the smoke test completes into the uncaught error, then it waits at the end event with an incident; the announcement raises none, and resolving throws it again', async () => {
    let run = await stepper.apply(process, null, { type: 'start', variables: {} });

    run = await complete(run, 'smoke-test');

    expect(waiting(run)).toEqual(['announce:user-task', 'smoke-failed-end:incident']);
    const end = waitAt(run, 'smoke-failed-end');
    expect(run.incidents).toEqual([
      {
        elementId: 'smoke-failed-end',
        executionId: end.executionId,
        type: 'UNHANDLED_ERROR_EVENT',
        reason: expect.stringContaining(
          '"Smoke test failed" (smoke-failed-end) threw the error "SMOKE_FAILED", which no boundary or event sub-process catches',
        ),
      },
    ]);

    run = await complete(run, 'announce');

    expect(run.incidents).toEqual([]);
    expect(run.finished).toBe(false);
    expect(waitAt(run, 'smoke-failed-end').executionId).toBe(end.executionId);

    run = await complete(run, 'smoke-failed-end');

    expect(run.incidents).toEqual([
      expect.objectContaining({ elementId: 'smoke-failed-end', executionId: end.executionId }),
    ]);
    expect(run.finished).toBe(false);
    expect(run.waits.map((w) => w.elementId)).toEqual(['smoke-failed-end']);
  });
});
