import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { InstanceService } from '../../src/instances/instance.service';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Through /v2, a parent whose call activity started a child with an open incident has an incident too, as in
 * Camunda 8: the parent's instance and its search result say hasIncident, while the incident itself stays the
 * child's (its instance key and process), is found by the child's key and resolved there. The flows are the call
 * activity scenarios' (a change process that calls an install process); no workers run.
 */
describe('Camunda 8 REST API: a child instance’s incident marks its parent', () => {
  const env = { PROCESSES_DIR: join(__dirname, '..', 'calls', 'fixtures'), RUN_WORKERS: 'false' };
  const handlers = [{ jobType: 'test.install', handle: async () => ({}) }];
  let t: TestApp;
  const http = () => request(t.app.getHttpServer() as App);

  beforeAll(async () => {
    t = await startTestApp(env, undefined, handlers);
  });
  afterAll(() => t.close());

  const v2 = (path: string, body: unknown) =>
    http()
      .post(`/v2${path}`)
      .set('Authorization', `Bearer ${t.tokens.admin}`)
      .send(body as object);
  const instance = async (key: string) => {
    const found = await http()
      .get(`/v2/process-instances/${key}`)
      .set('Authorization', `Bearer ${t.tokens.admin}`);
    expect(found.status).toBe(200);
    return found.body as { hasIncident: boolean; state: string };
  };
  const searched = async (processDefinitionId: string) => {
    const found = await v2('/process-instances/search', { filter: { processDefinitionId } });
    expect(found.status).toBe(200);
    return found.body.items as Array<{ processInstanceKey: string; hasIncident: boolean }>;
  };

  it('given a change whose install child ran out of retries, then the change has an incident until the child’s is resolved', async () => {
    const started = await v2('/process-instances', {
      processDefinitionId: 'change-with-install',
      variables: { changeId: 'CHG-V2' },
    });
    expect(started.status).toBe(200);
    const parentKey = started.body.processInstanceKey as string;
    const [child] = await searched('install-child');
    expect(child).toMatchObject({ hasIncident: false });
    const [job] = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT j.id FROM job j JOIN process_instance c ON c.id = j.instance_id
       WHERE c.process_key = 'install-child' AND j.element_id = 'install' AND j.status = 'pending'`,
    );
    expect(await instance(parentKey)).toMatchObject({ hasIncident: false, state: 'ACTIVE' });

    // When the child's install job fails for good.
    await t.get<InstanceService>(InstanceService).failJob(job!.id, 'the disk is full', 1, true);

    // Then the parent has an incident, read alone and in a search, and so has the child.
    expect(await instance(parentKey)).toMatchObject({ hasIncident: true, state: 'ACTIVE' });
    expect(await searched('change-with-install')).toEqual([
      expect.objectContaining({ processInstanceKey: parentKey, hasIncident: true }),
    ]);
    expect(await instance(child!.processInstanceKey)).toMatchObject({ hasIncident: true });
    const byKey = await v2('/process-instances/search', { filter: { processInstanceKey: parentKey } });
    expect(byKey.body.items).toEqual([expect.objectContaining({ hasIncident: true })]);

    // The incident stays the child's: the parent's key finds none, the child's finds it.
    const ofParent = await v2('/incidents/search', { filter: { processInstanceKey: parentKey } });
    expect(ofParent.status).toBe(200);
    expect(ofParent.body.items).toEqual([]);
    const ofChild = await v2('/incidents/search', {
      filter: { processInstanceKey: child!.processInstanceKey, state: 'ACTIVE' },
    });
    expect(ofChild.body.items).toEqual([
      expect.objectContaining({
        processDefinitionId: 'install-child',
        processInstanceKey: child!.processInstanceKey,
        elementId: 'install',
        errorMessage: expect.stringContaining('the disk is full'),
      }),
    ]);

    // When the child's incident is resolved, the parent has none left.
    const resolved = await v2(`/incidents/${ofChild.body.items[0].incidentKey}/resolution`, {});
    expect(resolved.status).toBe(204);
    expect(await instance(parentKey)).toMatchObject({ hasIncident: false });
    expect(await searched('change-with-install')).toEqual([
      expect.objectContaining({ processInstanceKey: parentKey, hasIncident: false }),
    ]);
  });
});
