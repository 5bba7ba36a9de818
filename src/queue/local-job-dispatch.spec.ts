import type { AppConfig } from '../config/app-config';
import type { JobQueuePort, QueuedMessage } from './job-queue.port';
import { LocalJobDispatch, type LocalJobRunner, type LocalRunOutcome } from './local-job-dispatch';
import type { OutboxMessage, OutboxRepository } from './outbox.repository';
import { RelayedMarks } from './relayed-marks';

/** A runner whose runs end when the test says so. */
class HeldRunner implements LocalJobRunner {
  readonly jobTypes = new Set(['notify']);
  readonly concurrency = 2;
  readonly started: string[] = [];
  private readonly ends = new Map<string, (outcome: LocalRunOutcome) => void>();

  runHere(message: OutboxMessage): Promise<LocalRunOutcome> {
    this.started.push(message.id);
    return new Promise((resolve) => this.ends.set(message.id, resolve));
  }

  end(id: string, outcome: LocalRunOutcome = { handOver: false }): void {
    this.ends.get(id)!(outcome);
  }
}

const message = (id: string): OutboxMessage => ({
  id,
  jobId: `job-${id}`,
  queue: 'notify',
  dueAt: null,
  maxAttempts: 3,
  local: true,
});

describe('LocalJobDispatch', () => {
  let marked: string[];
  let released: string[];
  let queued: QueuedMessage[];
  let redisRefuses: boolean;
  let runner: HeldRunner;
  let dispatch: LocalJobDispatch;
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    marked = [];
    released = [];
    queued = [];
    redisRefuses = false;
    const outbox = {
      markRelayed: async (ids: readonly string[]) => void marked.push(...ids),
      releaseClaims: async (ids: readonly string[]) => void released.push(...ids),
      renewClaims: async () => undefined,
    } as unknown as OutboxRepository;
    const queue: JobQueuePort = {
      enqueue: async () => undefined,
      enqueueBulk: async (messages) => {
        if (redisRefuses) throw new Error('Redis refused');
        queued.push(...messages);
      },
    };
    const config = { localJobDispatch: true, jobLockMs: 30_000 } as AppConfig;
    dispatch = new LocalJobDispatch(config, outbox, queue, new RelayedMarks(outbox));
    runner = new HeldRunner();
  });
  afterEach(() => dispatch.stop(0));

  it('given no workers in this process, when a job is about to be written, then it is not taken', () => {
    expect(dispatch.accepts('notify', null)).toBe(false);
  });

  it('given workers of the type, when a job is due later or of another type, then it is not taken', () => {
    dispatch.attach(runner);
    expect(dispatch.accepts('notify', null)).toBe(true);
    expect(dispatch.accepts('notify', new Date())).toBe(false);
    expect(dispatch.accepts('cmdb-sync', null)).toBe(false);
  });

  it('given as many jobs held as four per worker slot, when another is about to be written, then it goes to the queue instead', () => {
    dispatch.attach(runner);
    dispatch.start(['1', '2', '3', '4', '5', '6', '7'].map(message));
    expect(dispatch.accepts('notify', null)).toBe(true);
    dispatch.start([message('8')]);
    expect(dispatch.accepts('notify', null)).toBe(false);
    expect(runner.started).toEqual(['1', '2']);
  });

  it('given jobs beyond the worker slots, when a run ends, then the next starts, and a done job is marked relayed', async () => {
    dispatch.attach(runner);
    dispatch.start(['1', '2', '3'].map(message));
    runner.end('1');
    await settle();
    expect(runner.started).toEqual(['1', '2', '3']);
    expect(marked).toEqual(['1']);
  });

  it('given a run whose completion committed, when it ends, then its message is not marked again: the completion marked it', async () => {
    dispatch.attach(runner);
    dispatch.start([message('1')]);
    runner.end('1', { handOver: false, marked: true });
    await settle();
    expect(marked).toEqual([]);
    expect(dispatch.counts('notify')).toEqual({ waiting: 0, active: 0, completed: 1 });
  });

  it('given a run that hands its job over (a retry), when it ends, then the message goes to its queue with the attempts left and is marked relayed', async () => {
    dispatch.attach(runner);
    dispatch.start([message('1')]);
    runner.end('1', { handOver: true, delayMs: 20, attempts: 2 });
    await settle();
    expect(queued).toEqual([
      {
        queue: 'notify',
        messageId: '1',
        message: { jobId: 'job-1' },
        options: { delayMs: 20, attempts: 2 },
      },
    ]);
    expect(marked).toEqual(['1']);
  });

  it('given a run that hands its job over, when Redis refuses it, then its claim is given back for a sweep to relay, and it is not marked', async () => {
    redisRefuses = true;
    dispatch.attach(runner);
    dispatch.start([message('1')]);
    runner.end('1', { handOver: true, delayMs: 20, attempts: 2 });
    await settle();
    expect(released).toEqual(['1']);
    expect(marked).toEqual([]);
    expect(dispatch.counts('notify')).toEqual({ waiting: 0, active: 0, completed: 0 });
  });

  it('given jobs running and waiting, when the process stops and the runs outlast the timeout, then every claim is given back and nothing is marked', async () => {
    dispatch.attach(runner);
    dispatch.start(['1', '2', '3'].map(message));
    await dispatch.stop(10);
    expect(released.sort()).toEqual(['1', '2', '3']);
    expect(dispatch.accepts('notify', null)).toBe(false);
    runner.end('1');
    await settle();
    expect(marked).toEqual([]);
  });
});
