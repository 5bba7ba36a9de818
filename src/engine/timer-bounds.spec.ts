import { DEFAULT_TIMER_BOUNDS, timerProblem } from './timer-bounds';

describe('timer bounds', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const check = (kind: 'timeDuration' | 'timeDate' | 'timeCycle', value: unknown) =>
    timerProblem(kind, value, DEFAULT_TIMER_BOUNDS, now);

  it.each([
    ['timeCycle', 'PT0S', /repeats every 0 ms/],
    ['timeCycle', 'R/PT0.001S', /repeats every 1 ms/],
    ['timeCycle', 'R999999999/PT0S', /repeats every 0 ms/],
    ['timeCycle', 'R999999999/PT1H', /repeats 999999999 times/],
    ['timeCycle', 'R5/1900-01-01T00:00:00Z/PT1H', /no earlier than 2000-01-01/],
    ['timeCycle', 'R2/P20Y', /at most every 3650 days/],
    ['timeDuration', 'R3/PT1H', /a repeating timer is a timeCycle/],
    ['timeDuration', 'P1000Y', /at most 3650 days ahead/],
    ['timeDate', '0000-01-01T00:00:00Z', /between 2000-01-01/],
    ['timeDate', '2040-01-01T00:00:00Z', /between 2000-01-01/],
    ['timeDuration', 42, /must be an ISO 8601 duration or cycle, got 42/],
    ['timeDate', 'soon', /is not an ISO 8601 date/],
  ] as const)('refuses %s %s quickly', (kind, value, message) => {
    const started = Date.now();
    expect(check(kind, value)).toMatch(message);
    // Walking 999,999,999 repetitions would take minutes; 2 s leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it.each([
    ['timeCycle', 'R/PT1H'],
    ['timeCycle', 'R1000/PT1M'],
    ['timeDuration', 'PT0S'],
    ['timeDuration', 'P3650D'],
    ['timeDate', '2030-01-01T00:00:00Z'],
    ['timeDate', '2001-01-01T00:00:00Z'],
  ] as const)('takes %s %s', (kind, value) => {
    expect(check(kind, value)).toBeUndefined();
  });
});
