import { createHash, randomBytes } from 'node:crypto';
import type { TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { fileRelease, startFixture, step, usePeers } from './support/worker-world';
import { historyOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A whole standard release (标准发布) with the real workers: the install fails, the release is rolled back
 * (hook called, CMDB at its baseline), re-executed with a new build, installed, distributed and closed.
 * Mail goes to a real SMTP server, webhooks, external-CMDB pushes and the rollback hook to a real HTTP server.
 */
describe('a standard release with a failed install, rollback and re-execution', () => {
  const peers = usePeers('standard');
  const { smtp, http } = peers;
  let t: TestApp;

  beforeAll(() => {
    t = peers.t;
  });

  const ci = async (name: string) =>
    (await t.as('applicant').get(`/api/cmdb/items/${name}`).expect(200)).body;
  const upload = (releaseId: string, name: string, content: Buffer) =>
    t
      .as('project-team')
      .post(`/api/releases/${releaseId}/artifacts`)
      .attach('file', content, name)
      .expect(201);

  it('given an install that fails, when the release is rolled back and re-executed, then it closes with the CMDB, mails, webhooks and reports to show for it', async () => {
    // The live configuration before this release: billing-api 4.1.0, billing-db 15.1.
    const earlier = await fileRelease(t, { configurationItems: ['billing-api', 'billing-db@15.1'] });
    await waitForInstanceEnd(
      t,
      await startFixture(
        t,
        'earlier-install',
        [{ id: 'update-cmdb', type: 'cmdb.sync', headers: { action: 'install' } }],
        earlier.id,
        {
          versionNumber: '4.1.0',
        },
      ),
    );
    smtp.mails.length = 0;
    http.requests.length = 0;

    const release = await fileRelease(t, {
      configurationItems: ['billing-api', 'billing-db@15.2'],
      distributionMethods: ['intranet', 'email'],
      distributionScope: 'finance@example.test',
    });
    await step(t, release.id, 'assess-request', { assessmentDecision: 'approve' });
    await step(t, release.id, 'define-strategy');
    await step(t, release.id, 'plan-release', { rollbackPlan: 'redeploy 4.1.0; restore the 15.1 schema' });
    await step(t, release.id, 'allocate-version', { versionNumber: '4.2.0', baseline: 'BL-4.1' });

    // First build: archived, recorded, tested, authorised, verified; the install fails.
    const b1 = randomBytes(20_000);
    await upload(release.id, 'billing-4.2.0-b1.tar.gz', b1);
    await step(t, release.id, 'build-package', { packageName: 'billing-4.2.0-b1.tar.gz' });
    await step(t, release.id, 'test-release', { testResult: 'pass' });
    await step(t, release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await step(t, release.id, 'install-release', {
      installResult: 'failure',
      failureReason: 'database migration timed out',
    });

    // Rolled back: the hook got the items and their baselines; the CMDB is at the baseline.
    await waitForJob(t, release.instanceId, 'rollback-release');
    const hook = http.to('/rollback');
    expect(hook).toHaveLength(1);
    expect(hook[0]!.body).toMatchObject({
      release: {
        number: release.number,
        version: '4.2.0',
        rollbackPlan: 'redeploy 4.1.0; restore the 15.1 schema',
      },
      reason: { installResult: 'failure', failureReason: 'database migration timed out' },
      items: [
        { name: 'billing-api', baselineVersion: '4.1.0', currentVersion: '4.1.0' },
        { name: 'billing-db', baselineVersion: '15.1', currentVersion: '15.1' },
      ],
    });
    expect((await ci('billing-api')).currentVersion).toBe('4.1.0');
    expect((await ci('billing-db')).currentVersion).toBe('15.1');

    // Re-executed: a new build, tested, installed.
    await step(t, release.id, 'record-rollback-cause', {
      rollbackCause: 'migration too slow for the window',
      reExecute: true,
    });
    const b2 = randomBytes(21_000);
    await upload(release.id, 'billing-4.2.0-b2.tar.gz', b2);
    await step(t, release.id, 'build-package', { packageName: 'billing-4.2.0-b2.tar.gz' });
    await step(t, release.id, 'test-release', { testResult: 'pass' });
    await step(t, release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await step(t, release.id, 'install-release', { installResult: 'success' });
    await step(t, release.id, 'check-configuration', { configurationVerified: true });
    await step(t, release.id, 'write-release-report', {
      summary: '第二次安装成功 installed at the second attempt',
    });
    await step(t, release.id, 'archive-release', { archiveLocation: 'PSL' });

    const closed = await eventually(
      async () => {
        const view = (await t.as('project-manager').get(`/api/releases/${release.id}`)).body;
        return view.status === 'in-progress' ? undefined : view;
      },
      { what: 'the release to close' },
    );
    expect(closed).toMatchObject({
      status: 'closed',
      versionNumber: '4.2.0',
      rolledBack: true,
      incidents: [],
    });

    // CMDB: the new versions, with the history of this release and its baseline.
    const api = await ci('billing-api');
    expect(api.currentVersion).toBe('4.2.0');
    expect((await ci('billing-db')).currentVersion).toBe('15.2');
    expect(
      api.history
        .filter((h: any) => h.release?.number === release.number)
        .map((h: any) => [h.change, h.previousVersion, h.version]),
    ).toEqual([
      ['build', '4.1.0', '4.2.0'],
      ['build', '4.1.0', '4.2.0'],
      ['install', '4.1.0', '4.2.0'],
    ]);
    expect(api.releases[0]).toMatchObject({ number: release.number, baselineVersion: '4.1.0' });
    expect(http.to('/cmdb').map((p) => p.body.action)).toEqual(['build', 'build', 'install']);

    // The PSL: both builds archived under 4.2.0 and verified before each install.
    const delivery = (await t.as('applicant').get(`/api/releases/${release.id}/artifacts`).expect(200)).body
      .items;
    expect(delivery.map((a: any) => [a.name, a.version, a.status, a.sha256])).toEqual([
      ['billing-4.2.0-b1.tar.gz', '4.2.0', 'archived', sha256(b1)],
      ['billing-4.2.0-b2.tar.gz', '4.2.0', 'archived', sha256(b2)],
    ]);
    const history = await historyOf(t, release.instanceId);
    const verified = history.filter((h) => h.type === 'job.completed' && h.element_id === 'verify-package');
    expect(verified.map((h) => h.data.outcome.verified.length)).toEqual([1, 2]);

    // Mail: the distribution notice to the scope, the applicant and the project manager; the closing notice.
    const subjects = (address: string) => smtp.to(address).map((m) => m.subject);
    expect(subjects('finance@example.test')).toEqual([
      expect.stringContaining(`【发布通知】${release.number}`),
    ]);
    expect(subjects('applicant@example.test')).toEqual([
      expect.stringContaining('【发布通知】'),
      expect.stringContaining('【发布关闭】'),
    ]);
    expect(subjects('project-manager@example.test')).toHaveLength(2);
    expect(subjects('network-engineer@example.test')).toEqual([expect.stringContaining('【发布关闭】')]);
    for (const robot of ['/generic', '/wecom', '/dingtalk', '/feishu']) {
      expect(http.to(robot)).toHaveLength(2);
    }
    expect(http.to('/generic').map((r) => r.body.event)).toEqual(['released', 'closed']);

    // Reports: generated from the record, downloadable as Markdown and printable HTML.
    const md = await t
      .as('test-team')
      .get(`/api/releases/${release.number}/reports/release-report`)
      .expect(200);
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.text).toContain(`# 发布报告 Release report — ${release.number}`);
    expect(md.text).toContain('database migration timed out');
    expect(md.text).toContain('migration too slow for the window');
    expect(md.text).toContain(sha256(b2));
    expect(md.text).toMatch(/\| billing-api \| software \| 安装 install \| 4\.1\.0 \| 4\.2\.0 \|/);
    const html = await t
      .as('test-team')
      .get(`/api/releases/${release.id}/reports/release-report?format=html`)
      .expect(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.text).toMatch(/^<!doctype html>/);
    expect(html.text).toContain('@media print');
    const list = await t.as('test-team').get(`/api/releases/${release.id}/reports/delivery-list`).expect(200);
    expect(list.text).toContain(sha256(b1));
    expect(list.text).toContain('billing-4.2.0-b2.tar.gz');
    await t.as('test-team').get(`/api/releases/${release.id}/reports/assessment-report`).expect(404);
    await t.as('test-team').get(`/api/releases/${release.id}/reports/nonsense`).expect(404);
    await t.as('test-team').get(`/api/releases/${release.id}/reports/release-report?format=pdf`).expect(400);

    // Each job's outcome is in the release's history.
    const outcomes = history.filter((h) => h.type === 'job.completed').map((h) => h.element_id);
    expect(outcomes).toEqual([
      'archive-package',
      'record-build',
      'verify-package',
      'rollback-release',
      'archive-package',
      'record-build',
      'verify-package',
      'update-cmdb',
      'notify-distribution',
      'notify-closed',
    ]);
  });
});
