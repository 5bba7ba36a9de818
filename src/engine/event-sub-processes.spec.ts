import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EngineCommand, type EngineRun } from './engine-host';
import { nearestCatch } from './event-sub-processes';
import { compileProcess, type CompiledProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * Event sub-processes inside a multi-instance sub-process: each inner instance listens with its own subscriptions
 * (its own execution ids, its own correlation key), and an error thrown inside is caught by the nearest catch, from
 * the inside out. Run on a live engine and on one rebuilt from the stored state: both must agree.
 */
describe('the nearest catch of what is thrown inside a sub-process', () => {
  let process: CompiledProcess;
  beforeAll(async () => {
    process = await compileProcess(fixture('nested-event-sub-processes.bpmn'));
  });

  it('given an error its own event sub-process and a boundary on the sub-process both catch, when it is thrown inside, then the event sub-process is nearer', () => {
    expect(nearestCatch(process, 'check', { kind: 'error', code: 'CHECK_FAILED' })).toMatchObject({
      by: 'event',
      start: { id: 'check-failed' },
      scopeId: 'per-host',
    });
  });

  it('given an error only a boundary on the sub-process catches, or none does, when it is thrown inside, then the boundary takes it, or nothing', () => {
    expect(nearestCatch(process, 'check', { kind: 'error', code: 'HOST_LOST' })).toEqual({ by: 'boundary' });
    expect(nearestCatch(process, 'check', { kind: 'error', code: 'OTHER' })).toBeUndefined();
  });
});

describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('event sub-processes in a multi-instance sub-process on %s', (_name, live) => {
  let stepper: EngineStepper;
  let process: CompiledProcess;
  beforeAll(async () => {
    process = await compileProcess(fixture('nested-event-sub-processes.bpmn'));
  });
  beforeEach(() => {
    stepper = new EngineStepper(live);
  });
  afterEach(() => stepper.clear());

  const apply = (previous: EngineRun | null, command: EngineCommand) =>
    stepper.apply(process, previous, command);
  const waitsAt = (run: EngineRun, elementId: string) => run.waits.filter((w) => w.elementId === elementId);
  const checkOf = (run: EngineRun, host: string) => {
    const wait = waitsAt(run, 'check').find((w) => w.variables?.host === host);
    if (!wait) throw new Error(`no check of ${host}`);
    return wait;
  };

  it('given two hosts, when each listens for a hold and the second check fails, then each has its own subscription keyed by its host; the failed host is given up inside and the other goes on listening', async () => {
    let run = await apply(null, { type: 'start', variables: { hosts: ['db-1', 'app-1'] } });
    const holds = waitsAt(run, 'hold-received');
    expect(holds.map((w) => [w.kind, w.variables?.host]).sort()).toEqual([
      ['message', 'app-1'],
      ['message', 'db-1'],
    ]);
    expect(new Set(holds.map((w) => w.executionId)).size).toBe(2);

    const dbHold = holds.find((w) => w.variables?.host === 'db-1')!;
    run = await apply(run, {
      type: 'complete',
      elementId: 'hold-received',
      executionId: dbHold.executionId,
      variables: {},
    });
    expect(waitsAt(run, 'note-hold')).toHaveLength(1);
    // One hold at a time per host: the db host's start is closed while its hold runs, the app host's stays open.
    expect(waitsAt(run, 'hold-received').map((w) => w.variables?.host)).toEqual(['app-1']);

    const appCheck = checkOf(run, 'app-1');
    run = await apply(run, {
      type: 'throw',
      elementId: 'check',
      executionId: appCheck.executionId,
      errorCode: 'CHECK_FAILED',
      errorMessage: 'unreachable',
      variables: {},
    });
    expect(run.steps.map((s) => `${s.type}:${s.elementId}`)).toContain('activity.end:host-given-up');
    expect(run.steps.map((s) => s.elementId)).not.toContain('failed-outside');
    expect(waitsAt(run, 'hold-received')).toEqual([]);
    expect(waitsAt(run, 'check').map((w) => w.variables?.host)).toEqual(['db-1']);

    const [noteHold] = waitsAt(run, 'note-hold');
    run = await apply(run, {
      type: 'complete',
      elementId: 'note-hold',
      executionId: noteHold!.executionId,
      variables: {},
    });
    expect(waitsAt(run, 'hold-received').map((w) => w.variables?.host)).toEqual(['db-1']);
    run = await apply(run, {
      type: 'complete',
      elementId: 'check',
      executionId: checkOf(run, 'db-1').executionId,
      variables: { skip: false },
    });
    expect(run.finished).toBe(true);
  });

  it('given a host whose check says skip, when its error end event is reached, then its own event sub-process records the skip and the host ends; an error only the boundary catches leaves the whole sub-process', async () => {
    let run = await apply(null, { type: 'start', variables: { hosts: ['db-1', 'app-1'] } });
    run = await apply(run, {
      type: 'complete',
      elementId: 'check',
      executionId: checkOf(run, 'db-1').executionId,
      variables: { skip: true },
    });
    // The event sub-process sees its host's scope, as the host's other elements do.
    expect(waitsAt(run, 'record-skip').map((w) => w.variables?.host)).toEqual(['db-1']);
    expect(waitsAt(run, 'hold-received').map((w) => w.variables?.host)).toEqual(['app-1']);
    const [record] = waitsAt(run, 'record-skip');
    run = await apply(run, {
      type: 'complete',
      elementId: 'record-skip',
      executionId: record!.executionId,
      variables: {},
    });
    expect(waitsAt(run, 'check').map((w) => w.variables?.host)).toEqual(['app-1']);

    run = await apply(run, {
      type: 'throw',
      elementId: 'check',
      executionId: checkOf(run, 'app-1').executionId,
      errorCode: 'HOST_LOST',
      errorMessage: 'gone',
      variables: {},
    });
    expect(run.steps.map((s) => `${s.type}:${s.elementId}`)).toContain('activity.end:lost');
    expect(run.finished).toBe(true);
  });
});
