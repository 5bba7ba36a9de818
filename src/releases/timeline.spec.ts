import { summariseValue, timelineEntry, type TimelineEvent } from './timeline';

const event = (
  type: string,
  data: Record<string, unknown>,
  extra: Partial<TimelineEvent> = {},
): TimelineEvent => ({
  id: '7',
  type,
  elementId: 'step-1',
  elementName: '步骤 step',
  actor: null,
  data: data as TimelineEvent['data'],
  createdAt: new Date('2026-11-01T10:00:00Z'),
  ...extra,
});

describe('timeline entries', () => {
  it('summarise form values: long text clipped, lists counted, yes/no for booleans', () => {
    expect(summariseValue('x'.repeat(400))).toHaveLength(301);
    expect(summariseValue(true)).toBe('yes');
    expect(summariseValue([])).toBe('(none)');
    expect(summariseValue([{ id: 'BUG-1', severity: 'major' }])).toBe('id: BUG-1, severity: major');
    expect(summariseValue(Array.from({ length: 7 }, (_, i) => i))).toBe('7 items: 0; 1; 2; 3; 4');
    expect(summariseValue(null)).toBe('—');
  });

  it('a completed step names its decision and its values', () => {
    const entry = timelineEntry(
      event(
        'task.completed',
        { output: { testResult: 'fail', testSummary: 'two defects' } },
        { actor: 'tester' },
      ),
    );
    expect(entry).toMatchObject({
      kind: 'step',
      actor: 'tester',
      decision: 'testResult: fail',
      values: { testResult: 'fail', testSummary: 'two defects' },
      summary: 'tester completed 步骤 step (testResult: fail)',
    });
  });

  it('an automatic step of an unknown job type keeps a bounded outcome', () => {
    const small = timelineEntry(event('job.completed', { jobType: 'custom.thing', outcome: { ok: true } }));
    expect(small).toMatchObject({ kind: 'automatic', details: { ok: true } });
    const big = timelineEntry(
      event('job.completed', { jobType: 'custom.thing', outcome: { blob: 'x'.repeat(3000) } }),
    );
    expect(big.details).toEqual({ note: 'outcome too long to show' });
  });

  it('lists of files or items are capped', () => {
    const archived = Array.from({ length: 80 }, (_, i) => ({ name: `f${i}`, sha256: 'ab', size: 1 }));
    const entry = timelineEntry(event('job.completed', { jobType: 'psl.archive', outcome: { archived } }));
    expect((entry.details!.files as unknown[]).length).toBe(50);
    expect(entry.summary).toMatch(/archived 80 files/);
  });
});
