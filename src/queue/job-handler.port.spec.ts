import { JobHandlerRegistry, type JobHandler } from './job-handler.port';

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

  it('refuses a job type that could not be a queue name', () => {
    expect(() => new JobHandlerRegistry([handler('Notify:all')])).toThrow(/not a valid name/);
  });
});
