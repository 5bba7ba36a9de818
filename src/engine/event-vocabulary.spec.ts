import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EngineCommand, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { SIGNAL_BROADCAST_JOB_TYPE } from './throw-job-events';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * Events beyond catching: throw and end events worked as jobs, run on a live engine and on one rebuilt from the
 * stored state (the durable path does both); both must agree.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('events on %s', (_name, live) => {
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

  const at = (run: EngineRun) => run.waits.map((w) => `${w.elementId}:${w.kind}`).sort();

  it('given a non-interrupting message event sub-process and an error one, when a note comes, then it is recorded beside the install and the note start opens again after; when the install throws, the rollback interrupts everything', async () => {
    const process = await compileProcess(fixture('event-sub-processes.bpmn'));
    const started = await apply(process, null, { type: 'start', variables: { changeId: 'CHG-1' } });
    expect(at(started)).toEqual(['install:service-task', 'note-received:message']);

    const noted = await complete(process, started, 'note-received', {
      note: '先通知用户 (tell users first)',
    });
    expect(at(noted)).toEqual(['install:service-task', 'on-note:other', 'record-note:service-task']);
    expect(noted.variables).toMatchObject({ note: '先通知用户 (tell users first)' });
    const recorded = await complete(process, noted, 'record-note');
    expect(at(recorded)).toEqual(['install:service-task', 'note-received:message']);
    expect(waitAt(recorded, 'note-received').executionId).not.toBe(
      waitAt(started, 'note-received').executionId,
    );

    const failed = await apply(process, recorded, {
      type: 'throw',
      elementId: 'install',
      executionId: waitAt(recorded, 'install').executionId,
      errorCode: 'INSTALL_FAILED',
      errorMessage: 'disk full',
      variables: { cause: 'disk' },
    });
    expect(at(failed)).toEqual(['on-failure:other', 'rollback:service-task']);
    const rolledBack = await complete(process, failed, 'rollback');
    expect(rolledBack.finished).toBe(true);
    expect(rolledBack.variables).toMatchObject({ cause: 'disk' });
  });

  it('given a daily reminder and a withdrawal signal as event sub-processes, when two days pass, then a reminder runs each day beside the approval; the signal then ends it all', async () => {
    const process = await compileProcess(fixture('event-sub-process-signal-timer.bpmn'));
    const started = await apply(process, null, { type: 'start', variables: {} });
    expect(at(started)).toEqual(['approve:user-task', 'every-day:timer', 'on-withdrawn:signal']);
    const firstDay = waitAt(started, 'every-day');
    expect(firstDay.expireAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);

    const dayOne = await apply(process, started, { type: 'wake', due: [firstDay.executionId] });
    expect(at(dayOne)).toEqual([
      'approve:user-task',
      'daily:other',
      'on-withdrawn:signal',
      'remind:service-task',
    ]);
    const reminded = await complete(process, dayOne, 'remind');
    const secondDay = waitAt(reminded, 'every-day');
    expect(secondDay.executionId).not.toBe(firstDay.executionId);
    expect(secondDay.expireAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const dayTwo = await apply(process, reminded, { type: 'wake', due: [secondDay.executionId] });
    expect(dayTwo.waits.filter((w) => w.elementId === 'remind')).toHaveLength(1);

    const withdrawn = await complete(process, dayTwo, 'on-withdrawn');
    expect(withdrawn.finished).toBe(true);
  });
});
