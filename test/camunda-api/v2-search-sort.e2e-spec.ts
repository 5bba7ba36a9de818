import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';

const FIXTURES = join(__dirname, '..', 'instances', 'fixtures');

/**
 * Every /v2 search orders its results by the request's `sort` (Camunda 8: `[{ field, order: ASC | DESC }]`, several
 * fields in turn): ascending and descending give one order and its reverse, and a field the search does not have is
 * refused with 400 naming it. The instances' fixtures are the flows (an access request and a designers-only check,
 * each waiting at a task); the clock stands still and is moved a minute between starts, so each instance and task
 * has its own time. No workers run.
 */
describe('Camunda 8 REST API: the sort of each search', () => {
  const clock = new ManualClock(new Date('2026-03-02T08:00:00Z'));
  let t: TestApp;
  const started: Array<{ processDefinitionId: string; processInstanceKey: string }> = [];

  const v2 = (path: string, body: unknown, as = 'admin') =>
    t
      .as(as)
      .post(`/v2${path}`)
      .send(body as object);
  const search = async <T>(path: string, body: unknown): Promise<T[]> => {
    const found = await v2(`${path}/search`, { page: { limit: 1000 }, ...(body as object) });
    expect(found.status).toBe(200);
    return found.body.items as T[];
  };
  /** The items of a search in the order of one field, ascending and descending, each read with `pick`. */
  const bothWays = async <T>(path: string, field: string, pick: (item: T) => string, body: object = {}) => {
    const ascending = await search<T>(path, { ...body, sort: [{ field, order: 'ASC' }] });
    const descending = await search<T>(path, { ...body, sort: [{ field, order: 'DESC' }] });
    return { ascending: ascending.map(pick), descending: descending.map(pick) };
  };

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: FIXTURES, RUN_WORKERS: 'false' }, undefined, [], { clock });
    // A second version of the access request, its name changed.
    const xml = readFileSync(join(FIXTURES, 'access-request.bpmn'), 'utf8').replace(
      '权限申请 (access request)',
      '权限申请 v2 (access request)',
    );
    const deployed = await t
      .as('process-designer')
      .post('/v2/deployments')
      .attach('resources', Buffer.from(xml), 'access-request.bpmn');
    expect(deployed.status).toBe(200);
    for (const [processDefinitionId, variables] of [
      ['access-request', { priority: 'high', applicant: 'ann' }],
      ['designers-only', {}],
      ['access-request', { priority: 'low' }],
    ] as const) {
      await clock.advance(60_000, t.resources);
      const response = await v2('/process-instances', { processDefinitionId, variables }, 'process-designer');
      expect(response.status).toBe(200);
      started.push(response.body);
    }
  });
  afterAll(() => t.close());

  it('given three instances started a minute apart, when searched by start date either way, then they come in the order they started and its reverse; by process id, the access requests first', async () => {
    const { ascending, descending } = await bothWays<{ processInstanceKey: string }>(
      '/process-instances',
      'startDate',
      (i) => i.processInstanceKey,
    );
    expect(ascending).toEqual(started.map((s) => s.processInstanceKey));
    expect(descending).toEqual([...ascending].reverse());

    const byProcess = await search<{ processDefinitionId: string; processInstanceKey: string }>(
      '/process-instances',
      {
        sort: [
          { field: 'processDefinitionId', order: 'ASC' },
          { field: 'startDate', order: 'DESC' },
        ],
      },
    );
    expect(byProcess.map((i) => i.processInstanceKey)).toEqual([
      started[2]!.processInstanceKey,
      started[0]!.processInstanceKey,
      started[1]!.processInstanceKey,
    ]);
  });

  it('given a task of each instance, created a minute apart, when searched by creation date either way, then they come in the order they were created and its reverse', async () => {
    const { ascending, descending } = await bothWays<{ processInstanceKey: string }>(
      '/user-tasks',
      'creationDate',
      (task) => task.processInstanceKey,
    );
    expect(ascending).toEqual(started.map((s) => s.processInstanceKey));
    expect(descending).toEqual([...ascending].reverse());

    const byName = await bothWays<{ name: string; processInstanceKey: string }>(
      '/user-tasks',
      'name',
      (task) => `${task.name} ${task.processInstanceKey}`,
    );
    const names = byName.ascending.map((task) => task.split(' ')[0]);
    expect(names.join()).toMatch(/^(审核,审核,检查|检查,审核,审核)$/); // the two reviews side by side
    expect(byName.descending).toEqual([...byName.ascending].reverse());
  });

  it('given two versions of one process, when its definitions are searched by version either way, then version 1 comes first ascending and last descending; the latest of each process by process id, either way', async () => {
    const versions = await bothWays<{ version: number }>(
      '/process-definitions',
      'version',
      (d) => String(d.version),
      { filter: { processDefinitionId: 'access-request' } },
    );
    expect(versions.ascending).toEqual(['1', '2']);
    expect(versions.descending).toEqual(['2', '1']);

    const processes = await bothWays<{ processDefinitionId: string }>(
      '/process-definitions',
      'processDefinitionId',
      (d) => d.processDefinitionId,
    );
    expect(processes.ascending).toEqual(['access-request', 'designers-only']);
    expect(processes.descending).toEqual(['designers-only', 'access-request']);
  });

  it('given an instance with two variables, when they are searched by name or by value either way, then one order is the other reversed', async () => {
    const filter = { processInstanceKey: started[0]!.processInstanceKey };
    const byName = await bothWays<{ name: string }>('/variables', 'name', (v) => v.name, { filter });
    expect(byName.ascending).toEqual(['applicant', 'priority']);
    expect(byName.descending).toEqual(['priority', 'applicant']);

    const byValue = await bothWays<{ value: string }>('/variables', 'value', (v) => v.value, { filter });
    expect(byValue.ascending).toEqual(['"ann"', '"high"']);
    expect(byValue.descending).toEqual(['"high"', '"ann"']);
  });

  it('given a sort by a field the search does not have, when any search is asked, then 400 names the field and its place', async () => {
    for (const path of [
      '/process-instances',
      '/user-tasks',
      '/process-definitions',
      '/variables',
      '/incidents',
    ]) {
      const refused = await v2(`${path}/search`, {
        filter: path === '/variables' ? { processInstanceKey: started[0]!.processInstanceKey } : {},
        sort: [{ field: 'noSuchField' }],
      });
      expect({ path, status: refused.status }).toEqual({ path, status: 400 });
      expect(refused.body.detail).toContain('sort[0].field');
      expect(refused.body.detail).toContain('noSuchField');
    }
  });

  it('given three instances, when a page starts between page boundaries (from 1, limit 2; from 2, limit 1), then it holds exactly the items from that offset', async () => {
    const byStart = { sort: [{ field: 'startDate', order: 'ASC' }] };
    const keys = started.map((s) => s.processInstanceKey);
    const window = async (from: number, limit: number) => {
      const found = await v2('/process-instances/search', { ...byStart, page: { from, limit } });
      expect(found.status).toBe(200);
      expect(found.body.page.totalItems).toBe(3);
      return found.body.items.map((i: { processInstanceKey: string }) => i.processInstanceKey);
    };
    await expect(window(1, 2)).resolves.toEqual(keys.slice(1, 3));
    await expect(window(2, 1)).resolves.toEqual(keys.slice(2, 3));
    await expect(window(1, 1)).resolves.toEqual(keys.slice(1, 2));
  });

  it('given the tasks of three instances, when searched by element id from an offset, then only the tasks of that element come, counted and paged among themselves', async () => {
    const found = await v2('/user-tasks/search', {
      filter: { elementId: 'review' },
      sort: [{ field: 'creationDate', order: 'ASC' }],
      page: { from: 1, limit: 1 },
    });
    expect(found.status).toBe(200);
    expect(found.body.page.totalItems).toBe(2);
    expect(found.body.items.map((task: { processInstanceKey: string }) => task.processInstanceKey)).toEqual([
      started[2]!.processInstanceKey,
    ]);
  });
});
