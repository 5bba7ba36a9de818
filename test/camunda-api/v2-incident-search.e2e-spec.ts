import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { InstanceService } from '../../src/instances/instance.service';
import { startTestApp, type TestApp } from '../support/test-app';

/** More incidents than any one page, or any in-memory window, holds. */
const SEEDED = 600;

/**
 * The /v2 incident search and the job lookup behind a retries change look at every incident, not only the newest
 * few hundred: an old incident behind 600 newer ones is found by its process, instance and job, and paging
 * through all of them (newest first, ties by id) neither repeats nor skips one. The flows are the call activity
 * scenarios' (a change process that calls an install process); no workers run.
 */
describe('Camunda 8 REST API: incident search over many incidents', () => {
  const env = { PROCESSES_DIR: join(__dirname, '..', 'calls', 'fixtures'), RUN_WORKERS: 'false' };
  const handlers = [{ jobType: 'test.install', handle: async () => ({}) }];
  let t: TestApp;
  let childKey: string;
  const http = () => request(t.app.getHttpServer() as App);
  const v2 = (path: string, body: unknown) =>
    http()
      .post(`/v2${path}`)
      .set('Authorization', `Bearer ${t.tokens.admin}`)
      .send(body as object);
  const search = async (body: unknown) => {
    const found = await v2('/incidents/search', body);
    expect(found.status).toBe(200);
    return found.body as {
      items: Array<{
        incidentKey: string;
        jobKey: string;
        processInstanceKey: string;
        creationTime: string;
        errorType: string;
      }>;
      page: { totalItems: number };
    };
  };

  beforeAll(async () => {
    t = await startTestApp(env, undefined, handlers);
    // Given a change whose install child ran out of retries: the one old incident.
    const started = await v2('/process-instances', {
      processDefinitionId: 'change-with-install',
      variables: { changeId: 'CHG-MANY' },
    });
    expect(started.status).toBe(200);
    const [job] = await t.dataSource.query<Array<{ id: string; instance_id: string; parent: string }>>(
      `SELECT j.id, j.instance_id, c.parent_instance_id AS parent
         FROM job j JOIN process_instance c ON c.id = j.instance_id
        WHERE c.process_key = 'install-child' AND j.element_id = 'install' AND j.status = 'pending'`,
    );
    await t.get<InstanceService>(InstanceService).failJob(job!.id, 'the disk is full', 1, true);
    // And 600 newer incidents of the change itself, all created at one time (their order is their ids').
    await seedIncidents(t, job!.id, job!.parent, SEEDED);
    const children = await v2('/process-instances/search', {
      filter: { processDefinitionId: 'install-child' },
    });
    childKey = children.body.items[0].processInstanceKey;
  });
  afterAll(() => t.close());

  it('given an old incident behind 600 newer ones, when searched by its process or its instance, then it is found', async () => {
    const byProcess = await search({ filter: { processDefinitionId: 'install-child', state: 'ACTIVE' } });
    expect(byProcess.page.totalItems).toBe(1);
    expect(byProcess.items).toEqual([expect.objectContaining({ processInstanceKey: childKey })]);

    const byInstance = await search({ filter: { processInstanceKey: childKey } });
    expect(byInstance.items.map((i) => i.incidentKey)).toEqual([byProcess.items[0]!.incidentKey]);

    const byJob = await search({ filter: { jobKey: byProcess.items[0]!.jobKey } });
    expect(byJob.items.map((i) => i.incidentKey)).toEqual([byProcess.items[0]!.incidentKey]);
  });

  it('given 601 incidents, when paged through 100 at a time, then each comes once, newest first, the old one last', async () => {
    const keys: string[] = [];
    const totals = new Set<number>();
    for (let from = 0; from < SEEDED + 1; from += 100) {
      const page = await search({ filter: { state: 'ACTIVE' }, page: { from, limit: 100 } });
      totals.add(page.page.totalItems);
      keys.push(...page.items.map((i) => i.incidentKey));
    }
    expect([...totals]).toEqual([SEEDED + 1]);
    expect(keys).toHaveLength(SEEDED + 1);
    expect(new Set(keys).size).toBe(SEEDED + 1);
    const [old] = (await search({ filter: { processInstanceKey: childKey } })).items;
    expect(keys.at(-1)).toBe(old!.incidentKey);
  });

  it('given 601 incidents, when sorted by creation time ascending and then descending, then each order is the other reversed, the old incident first ascending', async () => {
    const ascending = await search({
      sort: [{ field: 'creationTime', order: 'ASC' }],
      page: { limit: 1000 },
    });
    const descending = await search({
      sort: [{ field: 'creationTime', order: 'DESC' }],
      page: { limit: 1000 },
    });

    const keys = ascending.items.map((i) => i.incidentKey);
    expect(keys).toHaveLength(SEEDED + 1);
    expect(descending.items.map((i) => i.incidentKey)).toEqual([...keys].reverse());
    const [old] = (await search({ filter: { processInstanceKey: childKey } })).items;
    expect(keys[0]).toBe(old!.incidentKey);
  });

  it('given incidents of two processes, when sorted by process id and then by creation time, then the process decides first, either way round', async () => {
    const [old] = (await search({ filter: { processInstanceKey: childKey } })).items;
    const byProcess = (order: string) =>
      search({
        sort: [
          { field: 'processDefinitionId', order },
          { field: 'creationTime', order: 'DESC' },
        ],
        page: { limit: 1000 },
      });

    // change-with-install sorts before install-child, the old incident's process.
    const ascending = (await byProcess('ASC')).items.map((i) => i.incidentKey);
    const descending = (await byProcess('DESC')).items.map((i) => i.incidentKey);
    expect(ascending.at(-1)).toBe(old!.incidentKey);
    expect(descending[0]).toBe(old!.incidentKey);
    expect(new Set(ascending).size).toBe(SEEDED + 1);
  });

  it('given a sort by a field incidents do not have, when searched, then 400 names the field and its place', async () => {
    const refused = await v2('/incidents/search', { sort: [{ field: 'startDate', order: 'ASC' }] });

    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('sort[0].field');
    expect(refused.body.detail).toContain('startDate');
  });

  it('given a gateway’s incident (no job) among job incidents, when sorted by error type either way, then it comes first ascending and last descending', async () => {
    const [instance] = await t.dataSource.query<Array<{ instance_id: string }>>(
      'SELECT instance_id FROM job WHERE status = $1 LIMIT 1',
      ['failed'],
    );
    const [gateway] = await t.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO incident (id, instance_id, job_id, execution_id, element_id, job_type, error_type, error, attempts, status,
                             created_at)
       VALUES (gen_random_uuid(), $1, NULL, 'route_0', 'route', NULL, 'CONDITION_ERROR', 'no way on', 0, 'open', now() - interval '1 day')
       RETURNING id`,
      [instance!.instance_id],
    );
    const byErrorType = async (order: string) =>
      (await search({ sort: [{ field: 'errorType', order }], page: { limit: 1000 } })).items.map(
        (i) => i.errorType,
      );

    try {
      const ascending = await byErrorType('ASC');
      const descending = await byErrorType('DESC');

      expect(ascending).toHaveLength(SEEDED + 2);
      expect(ascending[0]).toBe('CONDITION_ERROR');
      expect(ascending.slice(1)).toEqual(Array(SEEDED + 1).fill('JOB_NO_RETRIES'));
      expect(descending.at(-1)).toBe('CONDITION_ERROR');
    } finally {
      await t.dataSource.query('DELETE FROM incident WHERE id = $1', [gateway!.id]);
    }
  });

  it('given the old incident’s job, when its retries are raised through /v2, then the job is found as an incident’s and the change is accepted', async () => {
    const [old] = (await search({ filter: { processInstanceKey: childKey } })).items;
    const updated = await http()
      .patch(`/v2/jobs/${old!.jobKey}`)
      .set('Authorization', `Bearer ${t.tokens.admin}`)
      .send({ changeset: { retries: 1 } });
    expect(updated.status).toBe(204);
  });
});

/**
 * `count` open incidents of `instanceId`, each of its own failed job copied from `jobId`, all created one minute
 * after now: one statement.
 */
async function seedIncidents(t: TestApp, jobId: string, instanceId: string, count: number): Promise<void> {
  await t.dataSource.query(
    `WITH source AS (SELECT * FROM job WHERE id = $1),
          jobs AS (
            INSERT INTO job (id, instance_id, kind, job_type, element_id, execution_id, headers, status,
                             max_attempts, attempts, error)
            SELECT gen_random_uuid(), $2::uuid, s.kind, s.job_type, s.element_id, 'seeded-' || n, s.headers,
                   'failed', 1, 1, 'seeded'
              FROM source s, generate_series(1, $3::int) n
            RETURNING id, element_id, job_type)
     INSERT INTO incident (id, instance_id, job_id, element_id, job_type, error, attempts, status, created_at)
     SELECT gen_random_uuid(), $2::uuid, id, element_id, job_type, 'seeded', 1, 'open', now() + interval '1 minute'
       FROM jobs`,
    [jobId, instanceId, count],
  );
}
