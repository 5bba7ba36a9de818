import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { InstanceService } from '../../src/instances/instance.service';
import { TaskService } from '../../src/tasks/task.service';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { newTestResources, dropTestResources } from '../support/test-env';
import { fixture, postXml } from './definitions-support';

const KEY = 'definitions-small-flow';

/**
 * A changed file is the next version of its key, identical content is not; new instances start on the latest
 * version while running ones finish on theirs.
 */
describe('definition versioning', () => {
  let t: TestApp;
  let instances: InstanceService;

  beforeAll(async () => {
    t = await startTestApp();
    instances = t.get<InstanceService>(InstanceService);
  });
  afterAll(() => t.close());

  const view = async (instanceId: string) => {
    const response = await t.as('project-manager').get(`/api/process-instances/${instanceId}`);
    expect(response.status).toBe(200);
    return response.body;
  };
  const versions = async (key: string) => {
    const response = await t.as('applicant').get(`/api/process-definitions/${key}/versions`);
    expect(response.status).toBe(200);
    return response.body as Array<{ version: number; runningInstances: number; runningReleases: string[] }>;
  };
  const completeOpenTask = async (instanceId: string, elementId: string) => {
    const task = (await view(instanceId)).openTasks.find(
      (x: { elementId: string }) => x.elementId === elementId,
    );
    expect(task).toBeDefined();
    await t
      .get<TaskService>(TaskService)
      .completeUnchecked(task.id, { assessmentDecision: 'approve' }, 'project-manager');
  };

  describe('a small flow', () => {
    let first: { id: string };
    let second: { id: string };

    it('deploys a new key as version 1 (multipart upload)', async () => {
      const response = await t
        .as('process-designer')
        .post('/api/process-definitions')
        .attach('file', Buffer.from(fixture('small-flow-v1.bpmn')), 'small-flow.bpmn');
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        key: KEY,
        version: 1,
        name: '小流程',
        created: true,
        deployedBy: 'process-designer',
        warnings: expect.any(Array),
      });
      expect(response.body.xml).toBeUndefined();
    });

    it('does not make a new version of identical content (by checksum): 200, the same version', async () => {
      const response = await postXml(t, fixture('small-flow-v1.bpmn'), 'admin');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ key: KEY, version: 1, created: false });
      expect(await versions(KEY)).toHaveLength(1);
    });

    it('starts an instance on version 1', async () => {
      first = await instances.start(KEY, {});
      expect(await view(first.id)).toMatchObject({ processKey: KEY, version: 1, status: 'running' });
    });

    it('deploys a changed file as version 2; new instances start on it', async () => {
      const response = await postXml(t, fixture('small-flow-v2.bpmn'));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ key: KEY, version: 2, created: true });

      second = await instances.start(KEY, {});
      expect(await view(second.id)).toMatchObject({ version: 2, status: 'running' });
      expect(await versions(KEY)).toMatchObject([
        { version: 2, runningInstances: 1 },
        { version: 1, runningInstances: 1 },
      ]);
      const list = await t.as('test-team').get('/api/process-definitions');
      expect(list.body).toContainEqual(expect.objectContaining({ key: KEY, version: 2 }));
    });

    it('lets the old instance finish on version 1 while the new one runs version 2', async () => {
      await completeOpenTask(first.id, 'review');
      const old = await view(first.id);
      expect(old).toMatchObject({ version: 1, status: 'completed' });
      expect(old.completedActivities).toEqual(expect.arrayContaining(['review', 'end-v1']));
      expect(old.completedActivities).not.toContain('second-look');

      await completeOpenTask(second.id, 'review');
      const current = await view(second.id);
      expect(current).toMatchObject({ version: 2, status: 'running' });
      expect(current.activeActivities).toEqual([expect.objectContaining({ elementId: 'second-look' })]);
      expect(current.takenFlows).toContain('f-review-second-look');
      expect(await versions(KEY)).toMatchObject([
        { version: 2, runningInstances: 1 },
        { version: 1, runningInstances: 0 },
      ]);
    });

    it('serves the XML of every version as deployed', async () => {
      for (const [version, file] of [
        [1, 'small-flow-v1.bpmn'],
        [2, 'small-flow-v2.bpmn'],
      ] as const) {
        const response = await t
          .as('applicant')
          .get(`/api/process-definitions/${KEY}/versions/${version}/xml`);
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/^application\/xml/);
        expect(response.text).toBe(fixture(file));
      }
      expect((await t.as('applicant').get(`/api/process-definitions/${KEY}/versions/3/xml`)).status).toBe(
        404,
      );
      expect((await t.as('applicant').get(`/api/process-definitions/${KEY}/versions/two/xml`)).status).toBe(
        400,
      );
      expect((await t.as('applicant').get('/api/process-definitions/no-such-key/versions')).status).toBe(404);
    });

    it('answers an old version redeployed with that version, and keeps starting the latest', async () => {
      const response = await postXml(t, fixture('small-flow-v1.bpmn'));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ version: 1, created: false });
      const third = await instances.start(KEY, {});
      expect((await view(third.id)).version).toBe(2);
    });

    it('given this process started on version 2, when another process deploys version 3, then the next start here runs version 3 and leaves nothing behind on version 2', async () => {
      const dataSource = t.get<DataSource>(DataSource);
      const count = async () =>
        Number(
          (await dataSource.query(`SELECT count(*) FROM process_instance WHERE process_key = $1`, [KEY]))[0]
            .count,
        );
      const before = await count();
      // Another process's deploy: a row this process's services never saw being written.
      await dataSource.query(
        `INSERT INTO process_definition (process_key, version, name, checksum, xml, job_types, message_starts, deployed_by)
         SELECT process_key, 3, name, repeat('3', 64), xml, job_types, message_starts, 'elsewhere'
           FROM process_definition WHERE process_key = $1 AND version = 2`,
        [KEY],
      );

      const fourth = await instances.start(KEY, {});

      expect((await view(fourth.id)).version).toBe(3);
      expect(await count()).toBe(before + 1);
    });
  });

  describe('releases', () => {
    it('shows which version each running release uses; a changed standard flow is used by new releases only', async () => {
      await t.app.listen(0, '127.0.0.1');
      const driver = new ReleaseDriver(await t.app.getUrl(), t.tokens);
      const before = await driver.file('standard');

      const v1 = await t.as('admin').get('/api/process-definitions/standard-release/versions/1/xml');
      const changed = v1.text.replace('name="评估发布申请"', 'name="评估发布申请 (v2)"');
      expect(changed).not.toBe(v1.text);
      const deployed = await postXml(t, changed, 'admin');
      expect(deployed.status).toBe(201);
      expect(deployed.body.version).toBe(2);

      const after = await driver.file('standard');
      const old = await driver.call('GET', `/api/releases/${before.number}`, undefined, 'applicant');
      const current = await driver.call('GET', `/api/releases/${after.id}`, undefined, 'applicant');
      expect(old.body).toMatchObject({ processKey: 'standard-release', processVersion: 1 });
      expect(current.body).toMatchObject({ processKey: 'standard-release', processVersion: 2 });
      expect(await versions('standard-release')).toMatchObject([
        { version: 2, runningInstances: 1, runningReleases: [after.number] },
        { version: 1, runningInstances: 1, runningReleases: [before.number] },
      ]);

      // The old release goes on along version 1: its next step opens as drawn there.
      const task = await driver.openTask(before.id, 'assess-request');
      expect((await driver.complete(task, { assessmentDecision: 'approve' })).status).toBe(200);
      const later = await driver.call('GET', `/api/releases/${before.id}`, undefined, 'applicant');
      expect(later.body.processVersion).toBe(1);
      expect(later.body.currentSteps.length).toBeGreaterThan(0);
    });
  });
});

describe('the shipped flows on start', () => {
  it('deploys a file of the processes folder when it changed, and only then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'processes-'));
    const resources = newTestResources();
    const latest = async (app: TestApp) =>
      (await app.as('admin').get(`/api/process-definitions/${KEY}/versions`)).body.map(
        (v: { version: number }) => v.version,
      );
    try {
      // The form its user task links is deployed from the same folder, before the flow.
      copyFileSync(
        join(__dirname, '..', '..', 'processes', 'release-assessment.form'),
        join(dir, 'release-assessment.form'),
      );
      writeFileSync(join(dir, 'small-flow.bpmn'), fixture('small-flow-v1.bpmn'));
      let app = await startTestApp({ PROCESSES_DIR: dir }, resources);
      expect(await latest(app)).toEqual([1]);
      await app.stop();

      app = await startTestApp({ PROCESSES_DIR: dir }, resources);
      expect(await latest(app)).toEqual([1]);
      await app.stop();

      writeFileSync(join(dir, 'small-flow.bpmn'), fixture('small-flow-v2.bpmn'));
      app = await startTestApp({ PROCESSES_DIR: dir }, resources);
      expect(await latest(app)).toEqual([2, 1]);
      await app.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropTestResources(resources);
    }
  });
});
