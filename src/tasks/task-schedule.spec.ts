import { durationMs, taskDueAt, taskPriority } from './task-schedule';

describe('task schedule', () => {
  const now = new Date('2026-11-24T08:00:00Z');

  it('reads ISO-8601 durations', () => {
    expect(durationMs('PT4H')).toBe(4 * 3600_000);
    expect(durationMs('P1W2DT30M')).toBe((9 * 24 * 60 + 30) * 60_000);
    expect(durationMs('P')).toBeUndefined();
    expect(durationMs('4 hours')).toBeUndefined();
  });

  it('gives an emergency task four hours and a standard one three days when the BPMN says nothing', () => {
    expect(taskDueAt(undefined, 'emergency-release', {}, now)).toEqual(new Date('2026-11-24T12:00:00Z'));
    expect(taskDueAt(undefined, 'standard-release', {}, now)).toEqual(new Date('2026-11-27T08:00:00Z'));
    expect(taskDueAt(undefined, 'some-other-process', {}, now)).toBeNull();
  });

  it('prefers the BPMN dueDate, also as FEEL over the process variables', () => {
    const element = { dueDate: '=plannedStart' } as never;
    expect(taskDueAt(element, 'standard-release', { plannedStart: '2026-12-01T00:00:00Z' }, now)).toEqual(
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(taskPriority({ priority: 90 } as never, 'standard-release')).toBe(90);
    expect(taskPriority(undefined, 'emergency-release')).toBe(80);
  });
});
