import { JobHandlerRegistry, type JobHandler, type JobHandlerRegistration } from './job-handler.port';

const handler = (jobType: string): JobHandler => ({ jobType, handle: async () => ({}) });

describe('JobHandlerRegistry', () => {
  it('finds handlers by job type', () => {
    const registry = new JobHandlerRegistry([handler('notify'), handler('cmdb.sync')]);
    expect(registry.has('cmdb.sync')).toBe(true);
    expect(registry.has('psl.archive')).toBe(false);
    expect(registry.jobTypes).toEqual(['cmdb.sync', 'notify']);
  });

  it('refuses two handlers for one job type', () => {
    expect(() => new JobHandlerRegistry([handler('notify'), handler('notify')])).toThrow(/two handlers/);
  });

  it('runs a handler as calling peers unless it is registered as database-only', () => {
    const registry = new JobHandlerRegistry([
      handler('notify'),
      { handler: handler('report.generate'), effects: 'database' },
      { ...handler('psl.archive'), effects: 'database' },
    ]);
    expect(registry.effectsOf('notify')).toBe('peers');
    expect(registry.effectsOf('report.generate')).toBe('database');
    expect(registry.effectsOf('psl.archive')).toBe('database');
  });

  it('refuses effects other than database or peers', () => {
    const odd = { handler: handler('notify'), effects: 'files' } as unknown as JobHandlerRegistration;
    expect(() => new JobHandlerRegistry([odd])).toThrow(/effects must be "database" or "peers"/);
  });

  it('refuses a job type that could not be a queue name', () => {
    expect(() => new JobHandlerRegistry([handler('Notify:all')])).toThrow(/not a valid name/);
  });
});
