import { ISOInterval, getDate } from '@0dep/piso';

export type TimerKind = 'timeDuration' | 'timeDate' | 'timeCycle';

/**
 * What a timer may ask for. A cycle of zero length repeats inside one engine pass and never returns; a
 * duration of a thousand years or a date in year 0 is a typo that would sit in the queue (or fire at once).
 */
export interface TimerBounds {
  /** Shortest interval between two firings of a cycle. */
  readonly minCycleMs: number;
  /** Longest duration or cycle interval, and how far ahead a date may lie. */
  readonly maxDays: number;
  /** Most repetitions a cycle may name. */
  readonly maxRepetitions: number;
  /** No date before the first of January of this year. */
  readonly earliestYear: number;
}

export const DEFAULT_TIMER_BOUNDS: TimerBounds = {
  minCycleMs: 60_000,
  maxDays: 3650,
  maxRepetitions: 1000,
  earliestYear: 2000,
};

const DAY_MS = 24 * 3600 * 1000;

/**
 * Whether a timer value (ISO 8601 text, written in the definition or produced by FEEL) is within the bounds:
 * the problem, or undefined.
 */
export function timerProblem(
  kind: TimerKind,
  value: unknown,
  bounds: TimerBounds,
  now: Date = new Date(),
): string | undefined {
  const expected = kind === 'timeDate' ? 'an ISO 8601 date' : 'an ISO 8601 duration or cycle';
  if (typeof value !== 'string' || value.trim() === '')
    return `${kind} must be ${expected}, got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}`;
  const latest = new Date(now.getTime() + bounds.maxDays * DAY_MS);
  try {
    if (kind === 'timeDate') {
      const at = getDate(value);
      if (Number.isNaN(at.getTime())) throw new Error('not a date');
      if (at.getTime() < Date.UTC(bounds.earliestYear, 0, 1) || at > latest)
        return `${kind} "${value}" must lie between ${bounds.earliestYear}-01-01 and ${bounds.maxDays} days from now`;
      return undefined;
    }
    const parsed = new ISOInterval(value).parse();
    const repeats = parsed.repeat !== undefined;
    if (kind === 'timeDuration' && repeats)
      return `${kind} "${value}" repeats: a repeating timer is a timeCycle`;
    // Interval and count first: finding the expiry of a cycle steps through its repetitions one by one.
    if (kind === 'timeCycle' || repeats) {
      if (!parsed.duration) return `${kind} "${value}" needs an interval duration (such as R3/PT1H)`;
      const interval = parsed.duration.getExpireAt(now).getTime() - now.getTime();
      if (!(interval >= bounds.minCycleMs))
        return `${kind} "${value}" repeats every ${interval} ms: the shortest interval is ${bounds.minCycleMs} ms`;
      if (interval > bounds.maxDays * DAY_MS)
        return `${kind} "${value}" may repeat at most every ${bounds.maxDays} days`;
      if (parsed.repeat !== undefined && parsed.repeat > bounds.maxRepetitions)
        return `${kind} "${value}" repeats ${parsed.repeat} times: at most ${bounds.maxRepetitions} are allowed`;
      if (parsed.start && parsed.startDate.getTime() < Date.UTC(bounds.earliestYear, 0, 1))
        return `${kind} "${value}" may start no earlier than ${bounds.earliestYear}-01-01`;
    }
    const expireAt = parsed.getExpireAt(now, now);
    if (Number.isNaN(expireAt.getTime())) throw new Error('no expiry');
    if (expireAt > latest) return `${kind} "${value}" may reach at most ${bounds.maxDays} days ahead`;
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return `${kind} "${value}" is not ${expected} (${reason})`;
  }
}
