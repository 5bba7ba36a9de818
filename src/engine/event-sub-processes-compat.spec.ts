import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineHost, type EngineRun, type StoredEngineState } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * A state saved by the code before event sub-processes ran inside sub-processes (2c4e11a): an install with a
 * top-level note event sub-process that took one note, waiting at the install and for the next note. Event
 * sub-processes' stored state grew a field then (the interrupted scopes) and keys for nested starts; this one, saved
 * without them, resumes on this code with the same subscription and goes on to the end.
 */
describe('a top-level event sub-process state saved before nesting', () => {
  const host = new EngineHost();
  let process: CompiledProcess;
  let stored: { state: StoredEngineState; waits: EngineRun['waits'] };

  beforeAll(async () => {
    process = await compileProcess(fixture('event-sub-processes.bpmn'));
    stored = JSON.parse(fixture('event-sub-processes.stored-2c4e11a.json')) as typeof stored;
  });
  afterAll(() => host.clearCache());

  const at = (run: Pick<EngineRun, 'waits'>) => run.waits.map((w) => `${w.elementId}:${w.kind}`).sort();
  const waitAt = (run: Pick<EngineRun, 'waits'>, elementId: string) => {
    const wait = run.waits.find((w) => w.elementId === elementId);
    if (!wait) throw new Error(`no wait at ${elementId}: ${JSON.stringify(run.waits)}`);
    return wait;
  };
  const apply = (previous: Pick<EngineRun, 'state' | 'waits'>, command: Parameters<EngineHost['run']>[2]) =>
    host.run(
      process,
      JSON.parse(JSON.stringify(previous.state)) as StoredEngineState,
      command,
      new Set(previous.waits.map((w) => w.executionId)),
    );

  it('given the stored state, when the second note comes and the install then fails, then the note runs under the subscription it was saved with, and the rollback interrupts and ends the instance', async () => {
    expect(at(stored)).toEqual(['install:service-task', 'note-received:message']);
    const note = waitAt(stored, 'note-received');
    expect(note.executionId).toBe('note-received~event-1');

    const noted = await apply(stored, {
      type: 'complete',
      elementId: 'note-received',
      executionId: note.executionId,
      variables: { note: 'second' },
    });
    expect(at(noted)).toEqual(['install:service-task', 'on-note:other', 'record-note:service-task']);
    const recorded = await apply(noted, {
      type: 'complete',
      elementId: 'record-note',
      executionId: waitAt(noted, 'record-note').executionId,
      variables: {},
    });
    expect(waitAt(recorded, 'note-received').executionId).toBe('note-received~event-2');

    const failed = await apply(recorded, {
      type: 'throw',
      elementId: 'install',
      executionId: waitAt(recorded, 'install').executionId,
      errorCode: 'INSTALL_FAILED',
      errorMessage: 'disk full',
      variables: {},
    });
    expect(at(failed)).toEqual(['on-failure:other', 'rollback:service-task']);
    const done = await apply(failed, {
      type: 'complete',
      elementId: 'rollback',
      executionId: waitAt(failed, 'rollback').executionId,
      variables: {},
    });
    expect(done.finished).toBe(true);
    expect(done.variables).toMatchObject({ changeId: 'CHG-1', note: 'second' });
  });
});
