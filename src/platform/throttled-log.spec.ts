import { ThrottledLog } from './throttled-log';

describe('ThrottledLog', () => {
  let clock: number;
  let lines: string[];
  let log: ThrottledLog;

  beforeEach(() => {
    clock = 0;
    lines = [];
    log = new ThrottledLog(
      (line) => lines.push(line),
      30_000,
      () => clock,
    );
  });

  it('given the same error every second for a minute, when logged, then it writes one line per window and counts the rest', () => {
    for (clock = 0; clock < 60_000; clock += 1000) log.log('ECONNREFUSED', `worker notify: ECONNREFUSED`);

    expect(lines).toEqual([
      'worker notify: ECONNREFUSED',
      'worker notify: ECONNREFUSED (and 29 more like it in the last 30 s)',
    ]);
  });

  it('given two kinds of error, when both repeat, then each gets its own line', () => {
    log.log('a', 'first a');
    log.log('b', 'first b');
    log.log('a', 'second a');

    expect(lines).toEqual(['first a', 'first b']);
  });

  it('given the trouble was over (the connection came back), when it happens again, then it is written at once', () => {
    log.log('down', 'redis down');
    log.forgetAll();
    clock = 1000;
    log.log('down', 'redis down');

    expect(lines).toEqual(['redis down', 'redis down']);
  });
});
