import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { fileRelease, removeDir, startFixture, tempDir } from './support/worker-world';
import { historyOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

/** PSL_REQUIRE_PACKAGE=true: a release that delivers software cannot pass the product library without a package. */
describe('product library with a package required', () => {
  let t: TestApp;
  let pslDir: string;

  beforeAll(async () => {
    pslDir = await tempDir('psl-required');
    t = await startTestApp({ PSL_DIR: pslDir, PSL_REQUIRE_PACKAGE: 'true' });
  });
  afterAll(async () => {
    await t.close();
    await removeDir(pslDir);
  });

  it('given a software release with nothing uploaded, when psl.archive runs, then it fails into an incident; once the package is uploaded and the incident retried, it is archived', async () => {
    const release = await fileRelease(t, { source: 'software' });
    const instanceId = await startFixture(
      t,
      'archive-required',
      [{ id: 'archive-package', type: 'psl.archive' }],
      release.id,
    );
    const job = await waitForJob(t, instanceId, 'archive-package', 'failed');
    expect(job.error).toContain('no package was uploaded for this software release');

    await t
      .as('project-team')
      .post(`/api/releases/${release.id}/artifacts`)
      .attach('file', Buffer.from('the package'), 'pkg.tar.gz')
      .expect(201);
    const incident = await eventually(
      async () =>
        (
          (await t.as('admin').get('/api/incidents?state=open')).body.items as Array<{
            id: string;
            instanceId: string;
          }>
        ).find((i) => i.instanceId === instanceId),
      { what: 'the incident' },
    );
    await t.as('admin').post(`/api/incidents/${incident.id}/retry`).expect(200);
    await waitForInstanceEnd(t, instanceId);
    const outcome = (await historyOf(t, instanceId)).find((h) => h.type === 'job.completed')!.data.outcome;
    expect(outcome.archived.map((a: any) => a.name)).toEqual(['pkg.tar.gz']);
  });

  it('given a document release with nothing uploaded, when psl.archive and psl.verify run, then both pass as recorded no-ops', async () => {
    const release = await fileRelease(t, { source: 'document' });
    const instanceId = await startFixture(
      t,
      'document-release',
      [
        { id: 'archive-package', type: 'psl.archive' },
        { id: 'verify-package', type: 'psl.verify' },
      ],
      release.id,
    );
    await waitForInstanceEnd(t, instanceId);
    const outcomes = (await historyOf(t, instanceId))
      .filter((h) => h.type === 'job.completed')
      .map((h) => h.data.outcome);
    expect(outcomes).toEqual([
      { version: release.number, archived: [], note: 'no package was uploaded: nothing to archive' },
      { verified: [], note: 'no archived package: nothing to verify' },
    ]);
  });
});
