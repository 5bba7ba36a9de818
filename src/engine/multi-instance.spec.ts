import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineRunError, type EngineCommand, type EngineRun } from './engine-host';
import { compileProcess, type CompiledProcess } from './process-model';
import { EngineStepper } from '../../test/support/engine-stepper';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * Multi-instance activities with zeebe:loopCharacteristics, each command run on a live engine and on one rebuilt
 * from the stored state (a restart between any two commands): both must agree.
 */
describe.each([
  ['a live engine', true],
  ['an engine rebuilt from the stored state', false],
])('multi-instance activities on %s', (_name, live) => {
  let stepper: EngineStepper;
  let review: CompiledProcess;
  let perHost: CompiledProcess;
  beforeAll(async () => {
    review = await compileProcess(fixture('multi-instance-review.bpmn'));
    perHost = await compileProcess(fixture('multi-instance-subprocess.bpmn'));
  });
  beforeEach(() => {
    stepper = new EngineStepper(live);
  });
  afterEach(() => stepper.clear());

  const apply = (process: CompiledProcess, previous: EngineRun | null, command: EngineCommand) =>
    stepper.apply(process, previous, command);
  /** The waits of one element that are work (user tasks, jobs), with their local variables. */
  const work = (run: EngineRun, elementId: string) =>
    run.waits.filter((w) => w.elementId === elementId && w.kind !== 'other');
  const complete = (process: CompiledProcess, run: EngineRun, executionId: string, variables = {}) => {
    const wait = run.waits.find((w) => w.executionId === executionId);
    if (!wait) throw new Error(`nothing waits at ${executionId}`);
    return apply(process, run, { type: 'complete', elementId: wait.elementId, executionId, variables });
  };

  it('given three reviewers and "complete when two approved", when two approve, then the third review is withdrawn and the approvals are gathered by reviewer', async () => {
    const started = await apply(review, null, {
      type: 'start',
      variables: { reviewers: ['ann', 'bob', 'cy'] },
    });
    const reviews = work(started, 'review');
    expect(reviews.map((w) => [w.kind, w.variables])).toEqual([
      ['user-task', { reviewer: 'ann', loopCounter: 1 }],
      ['user-task', { reviewer: 'bob', loopCounter: 2 }],
      ['user-task', { reviewer: 'cy', loopCounter: 3 }],
    ]);

    const first = await complete(review, started, reviews[2]!.executionId, { approved: true });
    expect(work(first, 'review')).toHaveLength(2);
    const second = await complete(review, first, reviews[0]!.executionId, { approved: true });

    expect(work(second, 'review')).toEqual([]);
    expect(second.variables).toMatchObject({ approvals: [true, null, true] });
    expect(work(second, 'notify')).toHaveLength(1);
  });

  it('given a rejection, when all three have reviewed without two approvals, then the body ends with every answer', async () => {
    let run = await apply(review, null, { type: 'start', variables: { reviewers: ['ann', 'bob', 'cy'] } });
    const reviews = work(run, 'review');
    run = await complete(review, run, reviews[0]!.executionId, { approved: false });
    run = await complete(review, run, reviews[1]!.executionId, { approved: true });
    expect(work(run, 'review')).toHaveLength(1);
    run = await complete(review, run, reviews[2]!.executionId, { approved: false });

    expect(run.variables).toMatchObject({ approvals: [false, true, false] });
  });

  it('given a sequential notification per reviewer, when each job completes, then the next starts with its own recipient and the receipts keep the order', async () => {
    let run = await apply(review, null, { type: 'start', variables: { reviewers: ['ann', 'bob'] } });
    for (const wait of work(run, 'review')) {
      if (run.waits.some((w) => w.executionId === wait.executionId))
        run = await complete(review, run, wait.executionId, { approved: true });
    }
    const receipts: string[] = [];
    for (const recipient of ['ann', 'bob']) {
      const jobs = work(run, 'notify');
      expect(jobs.map((w) => [w.kind, w.variables])).toEqual([
        ['service-task', { recipient, loopCounter: receipts.length + 1 }],
      ]);
      receipts.push(`mail-${recipient}`);
      run = await complete(review, run, jobs[0]!.executionId, { receipt: `mail-${recipient}` });
    }

    expect(run.finished).toBe(true);
    expect(run.variables).toMatchObject({ receipts: ['ann:1:mail-ann', 'bob:2:mail-bob'] });
  });

  it('given an empty collection, when the body is reached, then it ends at once with an empty output collection', async () => {
    const run = await apply(review, null, { type: 'start', variables: { reviewers: [] } });

    expect(run.finished).toBe(true);
    expect(run.variables).toMatchObject({ approvals: [], receipts: [] });
  });

  it('given an input collection that is not a list, when the body is reached, then the run fails naming the element', async () => {
    await expect(apply(review, null, { type: 'start', variables: { reviewers: 'ann' } })).rejects.toThrow(
      new EngineRunError('review: the input collection =reviewers is not a list: "ann"'),
    );
  });

  it('given a sub-process per host, when each instance routes on its own host, then each runs its own path and the results are gathered', async () => {
    let run = await apply(perHost, null, { type: 'start', variables: { hosts: ['db1', 'app1'] } });
    const db = work(run, 'install-db');
    const app = work(run, 'install-app');
    expect(db.map((w) => w.variables)).toEqual([{ host: 'db1', loopCounter: 1 }]);
    expect(app.map((w) => w.variables)).toEqual([{ host: 'app1', loopCounter: 2 }]);

    run = await complete(perHost, run, app[0]!.executionId, { status: 'installed' });
    expect(run.finished).toBe(false);
    run = await complete(perHost, run, db[0]!.executionId, { status: 'migrated' });

    expect(run.finished).toBe(true);
    expect(run.variables).toMatchObject({ results: ['db1=migrated', 'app1=installed'] });
  });
});
