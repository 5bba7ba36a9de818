import { ISOInterval, getDate } from '@0dep/piso';
import { CronError, looksLikeCron, nextCronTime, parseCron, shortestCronGapMs } from './cron.js';
import { evaluateFeel, isFeel } from './feel.js';
import type { ElementInfo } from './process-model-types.js';
import { timerProblem, type TimerBounds } from './timer-bounds.js';

/**
 * Timer start events (Camunda 8): a date (the process starts once then) or a cycle (ISO 8601 `R[n]/[start/]interval`
 * or a cron expression), written out or as FEEL evaluated at deploy without variables. Each firing starts an
 * instance; a cycle is scheduled again after each one.
 */
export type StartTimer = NonNullable<ElementInfo['timer']>;

/** The timer's text: a FEEL expression evaluated (with no variables, as at deploy), else the text as written. */
export function startTimerValue(timer: StartTimer): string {
  if (!isFeel(timer.expression)) return timer.expression;
  const value = evaluateFeel(timer.expression, {});
  if (value instanceof Date) return value.toISOString();
  // FEEL dates and durations come as objects that write themselves as ISO 8601 text.
  const json = (value as { toJSON?: () => unknown } | null)?.toJSON?.();
  if (typeof json === 'string') return json;
  if (typeof value !== 'string')
    throw new Error(
      `the FEEL expression ${timer.expression} gave ${JSON.stringify(value) ?? String(value)}, not text`,
    );
  return value;
}

/** Why a timer start event cannot be scheduled, in the designer's words; undefined when it can. */
export function startTimerProblem(
  timer: StartTimer,
  bounds: TimerBounds,
  now: Date = new Date(),
): string | undefined {
  if (timer.kind === 'timeDuration')
    return 'a timer start event takes a date (the process starts once then) or a cycle (it starts on a schedule), not a duration: set its type to Date or Cycle';
  let value: string;
  try {
    value = startTimerValue(timer);
  } catch (err) {
    return `its ${timer.kind} cannot be evaluated at deploy (a timer start event sees no variables): ${err instanceof Error ? err.message : String(err)}`;
  }
  if (timer.kind === 'timeDate') return timerProblem('timeDate', value, bounds, now);
  if (!looksLikeCron(value)) {
    if (!value.trim().toUpperCase().startsWith('R'))
      return `timeCycle "${value}" is not a cycle: write R/PT1H (every hour), R5/P1D (five days), R/2026-01-01T09:00:00Z/P1D or a cron expression such as 0 0 9 * * MON-FRI`;
    return timerProblem('timeCycle', value, bounds, now);
  }
  try {
    const schedule = parseCron(value);
    const gap = shortestCronGapMs(schedule);
    if (gap !== undefined && gap < bounds.minCycleMs)
      return `the cron expression "${value}" starts instances ${gap / 1000} s apart: the shortest interval is ${bounds.minCycleMs / 1000} s`;
    if (!nextCronTime(schedule, now))
      return `the cron expression "${value}" matches no day in the next years`;
    return undefined;
  } catch (err) {
    if (err instanceof CronError) return `timeCycle "${value}" is not a cron expression here: ${err.message}`;
    throw err;
  }
}

/**
 * When a timer start event fires next: `previousDue` and `fired` describe the firings so far (none: it is being
 * scheduled at deploy, at `now`). A date fires once (at once when it has passed); a cycle every interval from its
 * start (the deploy, or the start date it names) until its repetitions are spent; a cron expression at its next
 * match. A slot missed while the service was down fires once, late, and the cycle keeps its rhythm after it.
 * Undefined: it fires no more.
 */
export function nextStartTimerDue(
  timer: StartTimer,
  value: string,
  now: Date,
  fired: number,
  previousDue?: Date,
): Date | undefined {
  if (timer.kind === 'timeDate') return fired > 0 ? undefined : getDate(value);
  if (timer.kind !== 'timeCycle') return undefined;
  if (looksLikeCron(value)) {
    const after = previousDue && previousDue > now ? previousDue : now;
    return nextCronTime(parseCron(value), after);
  }
  const parsed = new ISOInterval(value).parse();
  if (parsed.repeat !== undefined && parsed.repeat >= 0 && fired >= parsed.repeat) return undefined;
  const duration = parsed.duration;
  if (!duration) return undefined;
  let next: Date;
  if (previousDue) next = duration.getExpireAt(previousDue);
  else if (parsed.start) next = parsed.startDate;
  else next = duration.getExpireAt(now);
  if (next.getTime() < now.getTime()) {
    // Slots passed while nobody fired them: jump to the first one still ahead.
    const interval = duration.getExpireAt(next).getTime() - next.getTime();
    if (interval > 0)
      next = new Date(next.getTime() + Math.ceil((now.getTime() - next.getTime()) / interval) * interval);
  }
  return next;
}
