import { randomBytes } from 'node:crypto';
import { InstanceService } from '../../src/instances/instance.service';
import type { JobResult } from '../../src/queue/job-handler.port';
import { JobRunner } from '../../src/queue/job-runner.service';
import { DeliveryBusyError } from '../../src/queue/delivery-ledger.service';
import type { TestApp } from '../support/test-app';
import { fileRelease, startFixture, usePeers } from './support/worker-world';
import { contextOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

/**
 * Every handler, given the same job twice at once and then a third time (a redelivered message, a worker that
 * took over a job whose first worker stalled), has one effect: one archive, one CMDB change per item, one mail
 * per recipient, one post per robot, one push, one hook call, one report of each kind. Workers are off: the
 * test is the worker.
 */
describe('each handler run twice on one job', () => {
  const peers = usePeers('twice', { RUN_WORKERS: 'false' });
  const { smtp, http } = peers;
  let t: TestApp;

  beforeAll(() => {
    t = peers.t;
  });

  const count = async (sql: string, params: unknown[]) =>
    ((await t.dataSource.query(sql, params))[0] as { n: number }).n;

  /** Run the pending job of `elementId` twice concurrently and once more as the worker runs it, then feed it back. */
  async function runTwice(instanceId: string, elementId: string): Promise<JobResult> {
    const job = await waitForJob(t, instanceId, elementId, 'pending');
    const runner = t.get<JobRunner>(JobRunner);
    const context = await contextOf(t, job);
    const both = await Promise.allSettled([
      runner.run(context),
      runner.run({ ...context, attempt: 2 }),
    ]);
    // A run that meets the other one in flight (on any delivery) is told to come back later, and nothing else.
    const delivered = both.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = both.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(delivered.length + refused.length).toBe(2);
    for (const reason of refused) expect(reason).toBeInstanceOf(DeliveryBusyError);
    // Once both are done, a third run finds every delivery made and answers as the first did.
    const again = await runner.run({ ...context, attempt: 3 });
    for (const result of delivered) expect(again).toEqual(result);
    await t
      .get<InstanceService>(InstanceService)
      .completeJob(job.id, again.variables ?? {}, again.outcome ?? {});
    expect(await count('SELECT count(*)::int AS n FROM job_effect WHERE job_id = $1', [job.id])).toBe(1);
    return again;
  }

  it('given a release going through every service task, when each job is run twice, then each takes effect once', async () => {
    // The items start at a baseline installed by an earlier release.
    const earlier = await fileRelease(t, { configurationItems: ['erp-app', 'erp-db'] });
    const setup = await startFixture(
      t,
      'baseline',
      [{ id: 'update-cmdb', type: 'cmdb.sync', headers: { action: 'install' } }],
      earlier.id,
      {
        versionNumber: '1.0.0',
      },
    );
    await runTwice(setup, 'update-cmdb');
    http.requests.length = 0;

    const release = await fileRelease(t, { configurationItems: ['erp-app', 'erp-db'] });
    await t
      .as('project-team')
      .post(`/api/releases/${release.id}/artifacts`)
      .attach('file', randomBytes(3000), 'erp-2.0.0.tar.gz')
      .expect(201);
    const instanceId = await startFixture(
      t,
      'every-service-task',
      [
        { id: 'archive-package', type: 'psl.archive' },
        { id: 'record-build', type: 'cmdb.sync', headers: { action: 'build' } },
        { id: 'verify-package', type: 'psl.verify' },
        { id: 'update-cmdb', type: 'cmdb.sync', headers: { action: 'install' } },
        { id: 'notify-distribution', type: 'notify', headers: { template: 'released' } },
        { id: 'generate-release-report', type: 'report.generate', headers: { kind: 'release-report' } },
        { id: 'generate-assessment-report', type: 'report.generate', headers: { kind: 'assessment-report' } },
        { id: 'rollback-release', type: 'release.rollback' },
      ],
      release.id,
      { versionNumber: '2.0.0' },
    );

    const archived = await runTwice(instanceId, 'archive-package');
    expect(archived.outcome).toMatchObject({
      version: '2.0.0',
      archived: [expect.objectContaining({ name: 'erp-2.0.0.tar.gz' })],
    });
    expect(
      await count(
        `SELECT count(*)::int AS n FROM psl_artifact WHERE release_id = $1 AND status = 'archived'`,
        [release.id],
      ),
    ).toBe(1);

    await runTwice(instanceId, 'record-build');
    expect(
      await count(
        `SELECT count(*)::int AS n FROM cmdb_item_version WHERE release_id = $1 AND change = 'build'`,
        [release.id],
      ),
    ).toBe(2);
    expect(
      await count(`SELECT count(*)::int AS n FROM cmdb_baseline WHERE release_id = $1`, [release.id]),
    ).toBe(2);

    const verified = await runTwice(instanceId, 'verify-package');
    expect(verified.outcome).toMatchObject({ verified: [expect.objectContaining({ ok: true })] });

    await runTwice(instanceId, 'update-cmdb');
    const versions = await t.dataSource.query(
      `SELECT i.name, i.current_version, v.previous_version FROM cmdb_item i
         JOIN cmdb_item_version v ON v.item_id = i.id AND v.release_id = $1 AND v.change = 'install' ORDER BY i.name`,
      [release.id],
    );
    expect(versions).toEqual([
      { name: 'erp-app', current_version: '2.0.0', previous_version: '1.0.0' },
      { name: 'erp-db', current_version: '2.0.0', previous_version: '1.0.0' },
    ]);

    smtp.mails.length = 0;
    await runTwice(instanceId, 'notify-distribution');
    const recipients = smtp.mails.flatMap((m) => m.to).sort();
    expect(recipients).toEqual([...new Set(recipients)]);
    expect(recipients).toEqual([
      'applicant@example.test',
      'finance@example.test',
      'project-manager@example.test',
      'user-representative@example.test',
    ]);
    for (const robot of ['/generic', '/wecom', '/dingtalk', '/feishu'])
      expect(http.to(robot)).toHaveLength(1);

    const reports = await runTwice(instanceId, 'generate-release-report');
    expect((reports.outcome as any).reports.map((r: any) => r.kind)).toEqual([
      'delivery-list',
      'release-report',
    ]);
    expect(
      await count(`SELECT count(*)::int AS n FROM release_report WHERE release_id = $1`, [release.id]),
    ).toBe(2);

    await runTwice(instanceId, 'generate-assessment-report');
    expect(
      await count(`SELECT count(*)::int AS n FROM release_report WHERE release_id = $1`, [release.id]),
    ).toBe(3);
    const assessment = await t
      .as('project-manager')
      .get(`/api/releases/${release.id}/reports/assessment-report?format=html`)
      .expect(200);
    expect(assessment.text).toContain(`发布评估报告 Release assessment report — ${release.number}`);
    expect(assessment.text).toContain('<th>交付文件 Files delivered</th><td>1</td>');

    await runTwice(instanceId, 'rollback-release');
    expect(http.to('/rollback')).toHaveLength(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM cmdb_item_version WHERE release_id = $1 AND change = 'rollback'`,
        [release.id],
      ),
    ).toBe(2);
    expect(
      await t.dataSource.query(
        `SELECT name, current_version FROM cmdb_item WHERE name LIKE 'erp-%' ORDER BY name`,
      ),
    ).toEqual([
      { name: 'erp-app', current_version: '1.0.0' },
      { name: 'erp-db', current_version: '1.0.0' },
    ]);
    // One push per CMDB-writing job: build, install, rollback.
    expect(http.to('/cmdb').map((r) => r.body.action)).toEqual(['build', 'install', 'rollback']);
    await waitForInstanceEnd(t, instanceId);
  });
});
