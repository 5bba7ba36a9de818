import { nextCronTime, parseCron, shortestCronGapMs } from './cron.js';
import { DEFAULT_TIMER_BOUNDS } from './timer-bounds.js';
import { nextStartTimerDue, startTimerProblem, startTimerValue } from './timer-starts.js';

const at = (iso: string) => new Date(iso);
const cycle = (expression: string) => ({ kind: 'timeCycle' as const, expression });
const date = (expression: string) => ({ kind: 'timeDate' as const, expression });

describe('timer start events', () => {
  const deployedAt = at('2026-03-02T08:30:00Z'); // a Monday

  it('given a date, when scheduled, then it fires once at that date (at once when it has passed)', () => {
    const timer = date('2026-04-01T09:00:00Z');
    expect(nextStartTimerDue(timer, timer.expression, deployedAt, 0)).toEqual(at('2026-04-01T09:00:00Z'));
    expect(
      nextStartTimerDue(timer, timer.expression, deployedAt, 1, at('2026-04-01T09:00:00Z')),
    ).toBeUndefined();
  });

  it('given an ISO cycle, when it fires, then the next firing is one interval after the last due one, until its repetitions are spent', () => {
    const timer = cycle('R2/PT1H');
    const first = nextStartTimerDue(timer, timer.expression, deployedAt, 0)!;
    expect(first).toEqual(at('2026-03-02T09:30:00Z'));
    const second = nextStartTimerDue(timer, timer.expression, at('2026-03-02T09:30:02Z'), 1, first);
    expect(second).toEqual(at('2026-03-02T10:30:00Z'));
    expect(nextStartTimerDue(timer, timer.expression, second!, 2, second)).toBeUndefined();
  });

  it('given a cycle with a start date, when scheduled, then it first fires at that date; slots missed while down are skipped after one late firing', () => {
    const timer = cycle('R/2026-03-03T09:00:00Z/P1D');
    expect(nextStartTimerDue(timer, timer.expression, deployedAt, 0)).toEqual(at('2026-03-03T09:00:00Z'));
    // The 3 March firing ran on 6 March at noon (the service was down): the next one is 7 March, not 4 March.
    expect(
      nextStartTimerDue(timer, timer.expression, at('2026-03-06T12:00:00Z'), 1, at('2026-03-03T09:00:00Z')),
    ).toEqual(at('2026-03-07T09:00:00Z'));
  });

  it('given a cron cycle, when scheduled, then it fires at the next match in UTC', () => {
    const timer = cycle('0 0 9 * * MON-FRI');
    expect(nextStartTimerDue(timer, timer.expression, deployedAt, 0)).toEqual(at('2026-03-02T09:00:00Z'));
    expect(
      nextStartTimerDue(timer, timer.expression, at('2026-03-06T09:00:01Z'), 5, at('2026-03-06T09:00:00Z')),
    ).toEqual(at('2026-03-09T09:00:00Z'));
    expect(nextCronTime(parseCron('@monthly'), deployedAt)).toEqual(at('2026-04-01T00:00:00Z'));
    expect(nextCronTime(parseCron('0 15 10 ? JAN,JUL *'), deployedAt)).toEqual(at('2026-07-01T10:15:00Z'));
  });

  it('given timers too frequent or malformed, when checked, then each problem is named', () => {
    const bounds = DEFAULT_TIMER_BOUNDS;
    expect(startTimerProblem(cycle('R/PT10S'), bounds, deployedAt)).toMatch(/shortest interval is 60000 ms/);
    expect(startTimerProblem(cycle('*/30 * * * * *'), bounds, deployedAt)).toMatch(/30 s apart/);
    expect(startTimerProblem(cycle('0 0 9 L * *'), bounds, deployedAt)).toMatch(
      /L, W and # are not supported/,
    );
    expect(startTimerProblem(cycle('PT1H'), bounds, deployedAt)).toMatch(/is not a cycle: write R\/PT1H/);
    expect(startTimerProblem({ kind: 'timeDuration', expression: 'PT1H' }, bounds)).toMatch(/not a duration/);
    expect(startTimerProblem(cycle('=missing + 1'), bounds, deployedAt)).toMatch(
      /cannot be evaluated at deploy/,
    );
    expect(startTimerProblem(cycle('0 0 9 * * MON-FRI'), bounds, deployedAt)).toBeUndefined();
    expect(startTimerProblem(cycle('R/P1D'), bounds, deployedAt)).toBeUndefined();
    expect(shortestCronGapMs(parseCron('0 0,59 0,23 * * *'))).toBe(60_000);
  });

  it('given FEEL, when evaluated at deploy, then its text (or date) is the schedule', () => {
    expect(startTimerValue(cycle('="R/P" + string(1) + "D"'))).toBe('R/P1D');
    const feelDate = startTimerValue(date('=date and time("2030-01-01T09:00:00Z")'));
    expect(new Date(feelDate)).toEqual(at('2030-01-01T09:00:00Z'));
  });
});
