import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineRunError, type EngineCommand, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * The BPMN vocabulary beyond user and service tasks, run by the host as the durable path runs it: each command on
 * a live engine (kept between commands) and on one rebuilt from the stored state; both must agree.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('the engine vocabulary on %s', (_name, live) => {
  let stepper: EngineStepper;
  beforeEach(() => {
    stepper = new EngineStepper(live);
  });
  afterEach(() => stepper.clear());

  const apply = (process: CompiledProcess, previous: EngineRun | null, command: EngineCommand) =>
    stepper.apply(process, previous, command);
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
  const ran = (run: EngineRun) => run.steps.filter((s) => s.type === 'activity.end').map((s) => s.elementId);

  it('given plain, manual and FEEL script tasks, when started, then the first two pass through, the script sets its result variable and the send task waits for its job', async () => {
    const process = await compileProcess(fixture('task-kinds.bpmn'));

    const started = await apply(process, null, { type: 'start', variables: { impact: 3, likelihood: 4 } });

    expect(ran(started)).toEqual(['start', 'plain', 'manual', 'score']);
    expect(started.variables).toMatchObject({ risk: 12 });
    expect(started.waits.map((w) => [w.elementId, w.kind])).toEqual([['announce', 'service-task']]);
  });

  it('given a non-interrupting daily reminder on an approval, when each day comes, then a reminder goes out, the timer re-arms as a new wait, and the approval keeps waiting', async () => {
    const process = await compileProcess(fixture('daily-reminder.bpmn'));
    const started = await apply(process, null, { type: 'start', variables: {} });
    const firstTimer = waitAt(started, 'every-day');
    expect(firstTimer.kind).toBe('timer');

    const dayOne = await apply(process, started, { type: 'wake', due: [firstTimer.executionId] });
    const secondTimer = waitAt(dayOne, 'every-day');
    const dayTwo = await apply(process, dayOne, { type: 'wake', due: [secondTimer.executionId] });

    expect(secondTimer.executionId).not.toBe(firstTimer.executionId);
    expect(secondTimer.expireAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(dayOne.waits.map((w) => w.elementId).sort()).toEqual(['approve', 'every-day', 'remind']);
    expect(waitAt(dayTwo, 'approve').executionId).toBe(waitAt(started, 'approve').executionId);
    expect(waitAt(dayTwo, 'every-day').executionId).not.toBe(secondTimer.executionId);
    const approved = await complete(process, dayTwo, 'approve');
    expect(approved.waits.map((w) => w.elementId)).toEqual(['remind']);
  });

  it.each([
    [false, ['prepared', 'prepare', 'done']],
    [true, ['late', 'escalated', 'was-late']],
  ])(
    'given a link that jumps to the review and a sub-process that may escalate, when late is %s, then the path ends at %j',
    async (late, path) => {
      const process = await compileProcess(fixture('links-and-escalation.bpmn'));

      const run = await apply(process, null, { type: 'start', variables: { late } });

      expect(run.finished).toBe(true);
      expect(ran(run)).toEqual(['start', 'go-review', 'review-here', 'prepare-start', 'late-q', ...path]);
    },
  );

  it('given a sub-process whose input mappings open a local scope, when tasks inside complete, then they see and set the local variables, its gateway routes on them, and only its output mappings reach the process', async () => {
    const process = await compileProcess(fixture('scoped-review.bpmn'));
    const started = await apply(process, null, { type: 'start', variables: { change: { id: 'CHG-1' } } });
    expect(waitAt(started, 'assess').variables).toEqual({ changeId: 'CHG-1', rounds: 0 });

    const assessed = await complete(process, started, 'assess', { verdict: 'ok', rounds: 1 });
    expect(waitAt(assessed, 'confirm').variables).toEqual({ changeId: 'CHG-1', rounds: 1 });
    expect(assessed.variables).toEqual({ change: { id: 'CHG-1' }, verdict: 'ok' });

    const done = await complete(process, assessed, 'confirm');
    expect(done.finished).toBe(true);
    expect(ran(done)).toContain('mine');
    expect(done.variables).toEqual({
      change: { id: 'CHG-1' },
      verdict: 'ok',
      review: { verdict: 'ok', changeId: 'CHG-1' },
    });
  });

  describe('errors', () => {
    let process: CompiledProcess;
    beforeAll(async () => {
      process = await compileProcess(fixture('install-with-rollback.bpmn'));
    });

    it('given an install job inside a sub-process, when its worker throws the error the sub-process boundary catches, then the sub-process is left and the rollback runs', async () => {
      const started = await apply(process, null, { type: 'start', variables: {} });

      const thrown = await apply(process, started, {
        type: 'throw',
        elementId: 'install',
        executionId: waitAt(started, 'install').executionId,
        errorCode: 'INSTALL_FAILED',
        errorMessage: 'disk full',
        variables: { cause: 'disk full' },
      });

      expect(ran(thrown)).toEqual(['install-error']);
      expect(thrown.waits.map((w) => w.elementId)).toEqual(['rollback']);
      expect(thrown.variables).toMatchObject({ cause: 'disk full' });
      const done = await complete(process, thrown, 'rollback');
      expect(done.finished).toBe(true);
      expect(ran(done)).toEqual(['rollback', 'rolled-back']);
    });

    it('given a failed verification, when the sub-process reaches its error end event, then the boundary for that error catches it and the terminate end event ends the instance', async () => {
      const started = await apply(process, null, { type: 'start', variables: {} });
      const installed = await complete(process, started, 'install');

      const failed = await complete(process, installed, 'verify', { verification: 'fail' });

      expect(ran(failed)).toContain('deploy-error');
      expect(ran(failed)).not.toContain('deploy');
      expect(failed.waits.map((w) => w.elementId)).toEqual(['rollback']);
    });

    it('given a passed verification, when the sub-process ends normally, then the boundaries are left and the instance ends installed', async () => {
      const started = await apply(process, null, { type: 'start', variables: {} });
      const installed = await complete(process, started, 'install');

      const passed = await complete(process, installed, 'verify', { verification: 'pass' });

      expect(passed.finished).toBe(true);
      expect(ran(passed)).toEqual(expect.arrayContaining(['deploy-done', 'deploy', 'installed']));
    });

    it('given an error code nothing catches, when a worker throws it, then the run fails and nothing is to be saved', async () => {
      const started = await apply(process, null, { type: 'start', variables: {} });

      await expect(
        apply(process, started, {
          type: 'throw',
          elementId: 'install',
          executionId: waitAt(started, 'install').executionId,
          errorCode: 'NOBODY_CATCHES_THIS',
          errorMessage: 'unexpected',
          variables: {},
        }),
      ).rejects.toThrow(EngineRunError);
    });
  });
});
