import { evaluateFeel, isFeel, type ElementInfo } from '../engine/index.js';

/** When a task is due when its BPMN names no zeebe:taskSchedule dueDate, by process (ISO-8601 durations). */
const DEFAULT_DUE: Readonly<Record<string, string>> = {
  'emergency-release': 'PT4H',
  'standard-release': 'P3D',
  'major-release': 'P5D',
};

/** Priority (0-100) when the BPMN names no zeebe:priorityDefinition. */
const DEFAULT_PRIORITY: Readonly<Record<string, number>> = {
  'emergency-release': 80,
  'major-release': 60,
  'standard-release': 50,
};

/** The priority of an escalated task: the highest. */
export const ESCALATED_PRIORITY = 100;

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO-8601 duration in weeks, days, hours, minutes and seconds; undefined otherwise. */
export function durationMs(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match || value.trim() === 'P' || value.trim().endsWith('T')) return undefined;
  const [, w, d, h, m, s] = match;
  return (
    ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 * 3600 +
      Number(h ?? 0) * 3600 +
      Number(m ?? 0) * 60 +
      Number(s ?? 0)) *
    1000
  );
}

/** A task's due date: the BPMN's dueDate (a date, a duration from now, or FEEL giving either), else the default. */
export function taskDueAt(
  element: Pick<ElementInfo, 'dueDate'> | undefined,
  processKey: string,
  variables: Record<string, unknown>,
  now: Date,
): Date | null {
  let spec: unknown = element?.dueDate ?? DEFAULT_DUE[processKey];
  if (spec === undefined) return null;
  if (isFeel(spec)) {
    try {
      spec = evaluateFeel(spec, variables);
    } catch {
      return null;
    }
  }
  if (typeof spec !== 'string') return null;
  const ms = durationMs(spec);
  if (ms !== undefined) return new Date(now.getTime() + ms);
  const date = new Date(spec);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function taskPriority(element: Pick<ElementInfo, 'priority'> | undefined, processKey: string): number {
  const priority = element?.priority ?? DEFAULT_PRIORITY[processKey] ?? 50;
  return Math.max(0, Math.min(100, Math.round(priority)));
}
