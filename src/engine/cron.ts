/**
 * Cron expressions as Camunda 8 reads them in a timer start event's cycle (Spring's six fields: second, minute,
 * hour, day of month, month, day of week; `*`, `?`, lists, ranges, steps, month and day names, and the macros
 * `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`). Evaluated in UTC. `L`, `W` and `#` are not read.
 */
export interface CronSchedule {
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday ... 6 = Saturday (7 is read as Sunday). */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Whether the day of month or the day of week is `*` or `?` (then only the other restricts the day). */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

export class CronError extends Error {}

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Whether a timer cycle is written as cron rather than ISO 8601 (`R/PT1H`). */
export function looksLikeCron(value: string): boolean {
  const text = value.trim();
  return text.startsWith('@') || text.split(/\s+/).length >= 5;
}

export function parseCron(expression: string): CronSchedule {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 6)
    throw new CronError(
      `a cron expression has six fields (second minute hour day-of-month month day-of-week), "${expression}" has ${fields.length}`,
    );
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const daysOfWeek = new Set([...field(dayOfWeek, 'day of week', 0, 7, DAYS)].map((d) => (d === 7 ? 0 : d)));
  return {
    seconds: field(second, 'second', 0, 59),
    minutes: field(minute, 'minute', 0, 59),
    hours: field(hour, 'hour', 0, 23),
    daysOfMonth: field(dayOfMonth, 'day of month', 1, 31),
    months: field(month, 'month', 1, 12, MONTHS, 1),
    daysOfWeek,
    anyDayOfMonth: dayOfMonth === '*' || dayOfMonth === '?',
    anyDayOfWeek: dayOfWeek === '*' || dayOfWeek === '?',
  };
}

function field(
  text: string,
  what: string,
  min: number,
  max: number,
  names: readonly string[] = [],
  firstName = 0,
): Set<number> {
  const values = new Set<number>();
  const value = (part: string): number => {
    const named = names.indexOf(part.toUpperCase());
    const n = named >= 0 ? named + firstName : /^\d+$/.test(part) ? Number(part) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new CronError(`the ${what} field "${text}": "${part}" is not between ${min} and ${max}`);
    return n;
  };
  for (const item of text.split(',')) {
    if (/[LW#]/i.test(item.replace(/[A-Z]{3}/gi, (m) => (names.includes(m.toUpperCase()) ? '' : m))))
      throw new CronError(`the ${what} field "${text}": L, W and # are not supported`);
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new CronError(
        `the ${what} field "${text}": the step "${stepText}" is not a whole number above 0`,
      );
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) throw new CronError(`the ${what} field "${text}": the range ${range} runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/** How far ahead the next firing is looked for: a schedule that matches no day in this many years never fires. */
const SEARCH_YEARS = 5;

/** The first time strictly after `after` that the schedule matches (whole seconds, UTC); undefined: never. */
export function nextCronTime(schedule: CronSchedule, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + SEARCH_YEARS * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
      continue;
    }
    if (!schedule.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1);
      continue;
    }
    return t;
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, t: Date): boolean {
  const dom = schedule.daysOfMonth.has(t.getUTCDate());
  const dow = schedule.daysOfWeek.has(t.getUTCDay());
  if (schedule.anyDayOfMonth) return dow;
  if (schedule.anyDayOfWeek) return dom;
  return dom && dow;
}

/**
 * The shortest time between two firings, in ms, judged from the times of day it fires at (the next day's first
 * counted after the day's last): a schedule that fires twice within a second of each other anywhere has a 1 s gap.
 * Undefined when it fires once a day or less often.
 */
export function shortestCronGapMs(schedule: CronSchedule): number | undefined {
  const times: number[] = [];
  for (const h of [...schedule.hours].sort((a, b) => a - b))
    for (const m of [...schedule.minutes].sort((a, b) => a - b))
      for (const s of [...schedule.seconds].sort((a, b) => a - b)) times.push(h * 3600 + m * 60 + s);
  if (times.length < 2) return undefined;
  let gap = times[0]! + 24 * 3600 - times[times.length - 1]!;
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
  return gap * 1000;
}
