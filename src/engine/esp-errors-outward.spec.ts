import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineRunError, type EngineCommand, type EngineRun } from './engine-host';
import { nearestCatch } from './event-sub-processes';
import { compileProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * An error thrown inside a running event sub-process goes outward (Camunda 8): neither that event sub-process nor the
 * others of its scope catch it, but the error boundaries of the scope and the catches of the scopes around it do.
 */
describe('the nearest catch of an error thrown inside an event sub-process', () => {
  it('given a rollback whose error its own scope would catch, when it is thrown inside the rollback, then the boundary on the scope is nearest', async () => {
    const process = await compileProcess(fixture('esp-error-outward.bpmn'));
    expect(nearestCatch(process, 'rollback', { kind: 'error', code: 'ROLLBACK_FAILED' })).toEqual({
      by: 'boundary',
    });
    expect(nearestCatch(process, 'rollback-incomplete', { kind: 'error', code: 'ROLLBACK_FAILED' })).toEqual({
      by: 'boundary',
    });
    expect(nearestCatch(process, 'rollback', { kind: 'error', code: 'OTHER' })).toBeUndefined();
    // Thrown at the task beside it, the scope's own event sub-processes still catch it.
    expect(nearestCatch(process, 'deploy', { kind: 'error', code: 'ROLLBACK_FAILED' })).toMatchObject({
      by: 'event',
      start: { id: 'any-error' },
    });
  });

  it('given a top-level rollback and no outer catch, when it throws, then nothing catches it', async () => {
    const process = await compileProcess(fixture('esp-error-top-level.bpmn'));
    expect(nearestCatch(process, 'rollback', { kind: 'error', code: 'DEPLOY_FAILED' })).toBeUndefined();
    expect(nearestCatch(process, 'deploy', { kind: 'error', code: 'DEPLOY_FAILED' })).toMatchObject({
      by: 'event',
      start: { id: 'failed' },
    });
  });
});

describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('an error thrown inside a running event sub-process on %s', (_name, live) => {
  let stepper: EngineStepper;
  beforeEach(() => {
    stepper = new EngineStepper(live);
  });
  afterEach(() => stepper.clear());

  /** The tasks that wait (the sub-processes and boundary events around them wait too). */
  const tasks = (run: EngineRun) =>
    run.waits.filter((w) => w.kind === 'service-task' || w.kind === 'user-task').map((w) => w.elementId);
  const waitAt = (run: EngineRun, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait)
      throw new Error(`nothing waits at ${elementId}: ${run.waits.map((w) => w.elementId).join(', ')}`);
    return wait;
  };
  const throwAt = (run: EngineRun, elementId: string, errorCode: string): EngineCommand => ({
    type: 'throw',
    elementId,
    executionId: waitAt(run, elementId).executionId,
    errorCode,
    errorMessage: errorCode.toLowerCase(),
    variables: {},
  });

  it('given a sub-process rolling back after its deploy failed, when the rollback throws, then the boundary on the sub-process takes it and the repair waits', async () => {
    const process = await compileProcess(fixture('esp-error-outward.bpmn'));
    const apply = (previous: EngineRun | null, command: EngineCommand) =>
      stepper.apply(process, previous, command);
    let run = await apply(null, { type: 'start', variables: {} });
    run = await apply(run, throwAt(run, 'deploy', 'DEPLOY_FAILED'));
    expect(tasks(run)).toEqual(['rollback']);

    run = await apply(run, throwAt(run, 'rollback', 'ROLLBACK_FAILED'));

    expect(tasks(run)).toEqual(['repair']);
    expect(run.steps.map((s) => s.elementId)).not.toContain('any-error-end');
    run = await apply(run, {
      type: 'complete',
      elementId: 'repair',
      executionId: waitAt(run, 'repair').executionId,
      variables: {},
    });
    expect(run.finished).toBe(true);
  });

  it('given a sub-process rolling back after its deploy failed, when the rollback ends at its error end event, then the boundary on the sub-process takes it and the repair waits', async () => {
    const process = await compileProcess(fixture('esp-error-outward.bpmn'));
    const apply = (previous: EngineRun | null, command: EngineCommand) =>
      stepper.apply(process, previous, command);
    let run = await apply(null, { type: 'start', variables: {} });
    run = await apply(run, throwAt(run, 'deploy', 'DEPLOY_FAILED'));

    run = await apply(run, {
      type: 'complete',
      elementId: 'rollback',
      executionId: waitAt(run, 'rollback').executionId,
      variables: { rolledBack: false },
    });

    expect(tasks(run)).toEqual(['repair']);
    expect(run.steps.map((s) => s.elementId)).not.toContain('any-error-end');
  });

  it('given a top-level rollback after the deploy failed, when the rollback throws, then nothing catches it: the throw is refused and the rollback still waits', async () => {
    const process = await compileProcess(fixture('esp-error-top-level.bpmn'));
    const apply = (previous: EngineRun | null, command: EngineCommand) =>
      stepper.apply(process, previous, command);
    let run = await apply(null, { type: 'start', variables: {} });
    run = await apply(run, throwAt(run, 'deploy', 'DEPLOY_FAILED'));
    expect(tasks(run)).toEqual(['rollback']);

    await expect(apply(run, throwAt(run, 'rollback', 'ROLLBACK_FAILED'))).rejects.toThrow(EngineRunError);

    run = await apply(run, {
      type: 'complete',
      elementId: 'rollback',
      executionId: waitAt(run, 'rollback').executionId,
      variables: {},
    });
    expect(run.finished).toBe(true);
  });
});
