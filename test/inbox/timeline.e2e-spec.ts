import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { ReleaseDriver, type Release } from '../support/release-driver';
import { TestHttpPeer } from '../workers/support/peers';
import { removeDir, tempDir } from '../workers/support/worker-world';

interface Entry {
  eventId: string;
  at: string;
  kind: string;
  step: { id: string; name: string | null } | null;
  actor: string | null;
  summary: string;
  decision?: string;
  values?: Record<string, string>;
  details?: Record<string, any>;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The timeline of a release (GET /api/releases/:idOrNumber/timeline): the history as a person reads it. A
 * standard release is walked with a package uploaded, an installation that fails and is rolled back, a
 * notification that fails into an incident an operator resolves, and a re-execution that closes; its
 * timeline then says who did which step when and what they decided and wrote, what each automatic step did,
 * and how the incident went, in pages; the raw history stays as it was, and the release report carries the
 * same timeline.
 */
describe('release timeline', () => {
  const chat = new TestHttpPeer();
  const tarball = Buffer.from('billing 4.2 package for the timeline');
  let pslDir: string;
  let t: TestApp;
  let walk: ReleaseDriver;
  let release: Release;
  let timeline: Entry[];

  beforeAll(async () => {
    await chat.start();
    pslDir = await tempDir('psl-timeline');
    t = await startTestApp({ NOTIFY_WEBHOOK_URL: `${chat.url}/generic`, PSL_DIR: pslDir });
    walk = ReleaseDriver.forApp(t);

    release = await walk.file('standard');
    const assess = await walk.task(release.id, 'assess-request');
    await t.as('project-manager').post(`/api/tasks/${assess.id}/claim`).expect(200);
    await walk.finish(assess, {
      assessmentDecision: 'approve',
      impactAssessment: 'no other change affected',
    });
    await walk.step(release.id, 'define-strategy');
    await walk.step(release.id, 'plan-release');
    await walk.step(release.id, 'allocate-version', { versionNumber: '4.2.0' });
    const build = await walk.task(release.id, 'build-package');
    await t
      .as('project-team')
      .post(`/api/releases/${release.id}/artifacts`)
      .attach('file', tarball, 'billing-4.2.0.tar.gz')
      .expect(201);
    await walk.finish(build);
    await walk.step(release.id, 'test-release', { testResult: 'pass' });
    await walk.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await walk.step(release.id, 'install-release', { installResult: 'failure', failureReason: 'disk full' });
    await walk.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'disk full on node 2',
      reExecute: true,
    });
    await walk.step(release.id, 'build-package');
    await walk.step(release.id, 'test-release', { testResult: 'pass' });
    await walk.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await walk.step(release.id, 'install-release', { installResult: 'success' });
    chat.failAlways('/generic');
    await walk.step(release.id, 'check-configuration', { configurationVerified: true });
    const incident = await eventually(
      async () =>
        (
          await walk.get<{ items: Array<{ id: string; instanceId: string }> }>('/api/incidents', 'admin', {
            state: 'open',
          })
        ).items.find((i) => i.instanceId === release.instanceId),
      { what: 'the notification incident' },
    );
    chat.heal('/generic');
    await t
      .as('admin')
      .post(`/api/incidents/${incident.id}/resolve`)
      .send({ comment: 'told the finance department by phone' })
      .expect(200);
    await walk.step(release.id, 'write-release-report', { summary: 'went live after one rollback' });
    await walk.step(release.id, 'archive-release');
    await walk.waitForStatus(release.id, 'closed');
    timeline = (
      await walk.get<{ items: Entry[]; total: number }>(
        `/api/releases/${release.number}/timeline`,
        'applicant',
        {
          pageSize: 200,
        },
      )
    ).items;
  });
  afterAll(async () => {
    await t.close();
    await chat.stop();
    await removeDir(pslDir);
  });

  const of = (kind: string, stepId?: string) =>
    timeline.filter((e) => e.kind === kind && (stepId === undefined || e.step?.id === stepId));

  it('then it starts with the filing and ends with the close, in the order things happened', () => {
    expect(timeline[0]).toMatchObject({ kind: 'filed', actor: 'applicant' });
    expect(timeline.at(-1)).toMatchObject({ kind: 'ended', details: { endStatus: 'closed' } });
    const times = timeline.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('then each step says who did it, what they decided and what they wrote', () => {
    expect(of('assignment', 'assess-request')).toEqual([
      expect.objectContaining({ actor: 'project-manager', summary: expect.stringMatching(/claimed/) }),
    ]);
    expect(of('step', 'assess-request')).toEqual([
      expect.objectContaining({
        actor: 'project-manager',
        decision: 'assessmentDecision: approve',
        values: expect.objectContaining({ impactAssessment: 'no other change affected' }),
      }),
    ]);
    expect(of('step', 'install-release').map((e) => [e.actor, e.decision])).toEqual([
      ['project-team', 'installResult: failure'],
      ['project-team', 'installResult: success'],
    ]);
    expect(of('step', 'record-rollback-cause')[0]!.values).toMatchObject({
      rollbackCause: 'disk full on node 2',
      reExecute: 'yes',
    });
  });

  it('then the automatic steps say what they did: files archived with checksums, CMDB items moved, the rollback, notifications and to whom', () => {
    const archived = of('automatic', 'archive-package')[0]!;
    expect(archived.actor).toBeNull();
    expect(archived.details!.files).toEqual([
      expect.objectContaining({
        name: 'billing-4.2.0.tar.gz',
        sha256: sha256(tarball),
        size: tarball.length,
      }),
    ]);
    const moved = of('automatic', 'update-cmdb')[0]!;
    expect(moved.details!.items.map((i: { name: string; to: string }) => [i.name, i.to])).toEqual([
      ['billing-api', '4.2.0'],
      ['billing-db', '4.2.0'],
    ]);
    expect(of('automatic', 'rollback-release')).toEqual([
      expect.objectContaining({ summary: expect.stringMatching(/rolled back/) }),
    ]);
    const closed = of('automatic', 'notify-closed')[0]!;
    expect(closed.details).toMatchObject({
      template: 'closed',
      recipients: expect.arrayContaining(['applicant']),
    });
    expect(closed.summary).toMatch(/applicant/);
  });

  it('then the incident says what failed and how it was resolved', () => {
    const [failed] = of('incident', 'notify-distribution');
    expect(failed).toMatchObject({ actor: null, details: { jobType: 'notify' } });
    expect(failed!.summary).toMatch(/failed/);
    expect(of('incident-resolved', 'notify-distribution')).toEqual([
      expect.objectContaining({
        actor: 'admin',
        details: expect.objectContaining({
          resolution: 'resolved',
          comment: 'told the finance department by phone',
        }),
      }),
    ]);
  });

  it('then the engine steps stay in the raw history, which keeps every event', async () => {
    const raw = await walk.history(release.id);
    expect(timeline.some((e) => /^activity\.|^flow\./.test(e.summary))).toBe(false);
    expect(raw.length).toBeGreaterThan(timeline.length);
    expect(raw.filter((h) => h.type === 'task.completed')).toHaveLength(of('step').length);
  });

  it('pages: {items, total, page, pageSize}, and 404 for an unknown release', async () => {
    const page = await walk.get(`/api/releases/${release.id}/timeline`, 'test-team', {
      page: 2,
      pageSize: 5,
    });
    expect(page).toMatchObject({ total: timeline.length, page: 2, pageSize: 5 });
    expect(page.items).toEqual(timeline.slice(5, 10));
    expect(
      (await walk.request('GET', '/api/releases/REL-1999-0001/timeline', { as: 'applicant' })).status,
    ).toBe(404);
    expect(
      (
        await walk.request('GET', `/api/releases/${release.id}/timeline`, {
          as: 'applicant',
          query: { pageSize: 0 },
        })
      ).status,
    ).toBe(400);
  });

  it('then the release report carries the timeline', async () => {
    const report = await t
      .as('project-manager')
      .get(`/api/releases/${release.id}/reports/release-report`)
      .expect(200);
    expect(report.text).toContain('时间线 Timeline');
    expect(report.text).toContain('archived 1 file');
    expect(report.text).toMatch(/project-manager completed/);
  });
});
