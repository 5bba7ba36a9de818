import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { fileRelease, filesUnder, removeDir, startFixture, step, tempDir } from './support/worker-world';
import { historyOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

const MAX = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The product library (PSL): uploads, the delivery list, downloads, psl.archive and psl.verify. */
describe('product software library', () => {
  let t: TestApp;
  let pslDir: string;
  let n = 0;

  beforeAll(async () => {
    pslDir = await tempDir('psl');
    t = await startTestApp({ PSL_DIR: pslDir, PSL_MAX_UPLOAD_BYTES: String(MAX) });
  });
  afterAll(async () => {
    await t.close();
    await removeDir(pslDir);
  });

  const upload = (releaseId: string, files: Array<[string, Buffer]>, as = 'project-team') => {
    let req = t.as(as).post(`/api/releases/${releaseId}/artifacts`);
    for (const [name, content] of files) req = req.attach('file', content, name);
    return req;
  };
  const archive = async (releaseId: string, variables: Record<string, unknown> = {}) => {
    const id = await startFixture(
      t,
      `archive-${++n}`,
      [{ id: 'archive-package', type: 'psl.archive' }],
      releaseId,
      variables,
    );
    await waitForInstanceEnd(t, id);
    return (await historyOf(t, id)).find((h) => h.type === 'job.completed')!.data.outcome;
  };
  const blobs = async () => (await filesUnder(pslDir)).filter((f) => f.startsWith('sha256'));

  it('given a project team member, when package files are uploaded, then they are stored by SHA-256 and listed with size, checksum and uploader; the install team downloads them', async () => {
    const release = await fileRelease(t);
    const tarball = randomBytes(40_000);
    const notes = Buffer.from('发布说明 release notes\n');
    const res = await upload(release.id, [
      ['billing-4.2.0.tar.gz', tarball],
      ['发布说明.txt', notes],
    ]).expect(201);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        name: 'billing-4.2.0.tar.gz',
        size: 40_000,
        sha256: sha256(tarball),
        uploadedBy: 'project-team',
        status: 'uploaded',
        version: release.number,
      }),
      expect.objectContaining({ name: '发布说明.txt', size: notes.length, sha256: sha256(notes) }),
    ]);
    expect(await blobs()).toEqual(
      expect.arrayContaining([join('sha256', sha256(tarball).slice(0, 2), sha256(tarball))]),
    );

    const list = (await t.as('applicant').get(`/api/releases/${release.number}/artifacts`).expect(200)).body;
    expect(list).toMatchObject({ total: 2, release: { id: release.id, number: release.number } });
    const tar = list.items.find((a: any) => a.name === 'billing-4.2.0.tar.gz');

    const download = await t
      .as('test-team')
      .get(`/api/releases/${release.id}/artifacts/${tar.id}/content`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(sha256(download.body as Buffer)).toBe(sha256(tarball));
    expect(download.headers['x-checksum-sha256']).toBe(sha256(tarball));
    expect(download.headers['content-disposition']).toContain('billing-4.2.0.tar.gz');
    await t.as('applicant').get(`/api/releases/${release.id}/artifacts/${tar.id}/content`).expect(403);
    await upload(release.id, [['x.bin', Buffer.from('x')]], 'test-team').expect(403);
    await t.as('test-team').get(`/api/releases/${release.id}/artifacts/${release.id}/content`).expect(404);
  });

  it('given a package in the library, when the project manager who distributes it (5.3.7) downloads it, then it comes with its checksum', async () => {
    const release = await fileRelease(t);
    const tarball = Buffer.from('the package the project manager sends out');
    const [item] = (await upload(release.id, [['dist-1.0.tar.gz', tarball]]).expect(201)).body.items;
    const download = await t
      .as('project-manager')
      .get(`/api/releases/${release.id}/artifacts/${item.id}/content`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(sha256(download.body as Buffer)).toBe(sha256(tarball));
    expect(download.headers['x-checksum-sha256']).toBe(sha256(tarball));
    await t
      .as('user-representative')
      .get(`/api/releases/${release.id}/artifacts/${item.id}/content`)
      .expect(403);
  });

  it('given an upload not yet archived, when the same file name is uploaded again, then it is replaced and the old content leaves the library', async () => {
    const release = await fileRelease(t);
    const first = randomBytes(1000);
    const second = randomBytes(1000);
    await upload(release.id, [['app.jar', first]]).expect(201);
    await upload(release.id, [['app.jar', second]]).expect(201);
    const list = (await t.as('applicant').get(`/api/releases/${release.id}/artifacts`).expect(200)).body;
    expect(list.items.map((a: any) => [a.name, a.sha256])).toEqual([['app.jar', sha256(second)]]);
    expect((await blobs()).some((f) => f.endsWith(sha256(first)))).toBe(false);
  });

  it('given an archived package, when a file of the same name is uploaded to the same version, then it is refused with 409 and nothing is left behind; a new file name is still taken', async () => {
    const release = await fileRelease(t);
    const pkg = randomBytes(2000);
    await upload(release.id, [['svc-1.0.zip', pkg]]).expect(201);
    const outcome = await archive(release.id, { versionNumber: '1.0.0' });
    expect(outcome).toEqual({
      version: '1.0.0',
      archived: [{ name: 'svc-1.0.zip', size: 2000, sha256: sha256(pkg) }],
    });
    const listed = (await t.as('applicant').get(`/api/releases/${release.id}/artifacts`).expect(200)).body
      .items;
    expect(listed[0]).toMatchObject({ status: 'archived', version: '1.0.0', archivedAt: expect.any(String) });

    // The release record takes the version the flow allocated; here the test sets it the way the flow would.
    await t.dataSource.query(`UPDATE release SET version_number = '1.0.0' WHERE id = $1`, [release.id]);
    const before = await blobs();
    const tampered = randomBytes(2000);
    const refused = await upload(release.id, [['svc-1.0.zip', tampered]]).expect(409);
    expect(refused.body.message).toMatch(/already archived in version 1\.0\.0.*immutable/);
    expect(await blobs()).toEqual(before);
    expect((await filesUnder(join(pslDir, 'tmp'))).length).toBe(0);

    await upload(release.id, [['svc-1.0-hotfix.zip', randomBytes(10)]]).expect(201);
    expect((await archive(release.id, { versionNumber: '1.0.0' })).archived.map((a: any) => a.name)).toEqual([
      'svc-1.0-hotfix.zip',
    ]);
  });

  it('given a file over the size cap, when it is uploaded, then 413 and nothing is kept; a file of exactly the cap is taken', async () => {
    const release = await fileRelease(t);
    const before = await blobs();
    const res = await upload(release.id, [
      ['small.txt', Buffer.from('fits')],
      ['huge.bin', randomBytes(MAX + 1)],
    ]).expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, message: expect.stringContaining(String(MAX)) });
    expect(await blobs()).toEqual(before);
    expect((await filesUnder(join(pslDir, 'tmp'))).length).toBe(0);
    expect(
      (await t.as('applicant').get(`/api/releases/${release.id}/artifacts`).expect(200)).body.total,
    ).toBe(0);

    await upload(release.id, [['exact.bin', randomBytes(MAX)]]).expect(201);
  });

  describe('an upload that breaks off', () => {
    const boundary = 'upload-boundary-7f3a';
    const partHead = (name: string) =>
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      );
    const rawUpload = (releaseId: string, body: Buffer) =>
      t
        .as('project-team')
        .post(`/api/releases/${releaseId}/artifacts`)
        .set('content-type', `multipart/form-data; boundary=${boundary}`)
        .send(body);
    /** Nothing of a failed upload is left: no blob, no partial file, no artifact row. */
    const expectNothingKept = async (releaseId: string, blobsBefore: string[]) => {
      expect(await blobs()).toEqual(blobsBefore);
      expect(await filesUnder(join(pslDir, 'tmp'))).toEqual([]);
      const list = await t.as('applicant').get(`/api/releases/${releaseId}/artifacts`).expect(200);
      expect(list.body.total).toBe(0);
    };

    it('given a body that ends before its closing boundary, when it is uploaded, then 400, nothing is kept, and the service answers the next upload', async () => {
      const release = await fileRelease(t);
      const before = await blobs();
      const truncated = Buffer.concat([
        partHead('first.bin'),
        randomBytes(1000),
        Buffer.from(`\r\n`),
        partHead('half.bin'),
        randomBytes(30_000),
      ]);

      const res = await rawUpload(release.id, truncated).expect(400);

      expect(res.body).toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(/Unexpected end of form/),
      });
      await expectNothingKept(release.id, before);
      await upload(release.id, [['whole.bin', randomBytes(10)]]).expect(201);
    });

    it('given a part without a readable header, when it is uploaded, then 400 and nothing is kept', async () => {
      const release = await fileRelease(t);
      const before = await blobs();
      const malformed = Buffer.concat([
        partHead('ok.bin'),
        randomBytes(500),
        Buffer.from(`\r\n--${boundary}\r\n${'x'.repeat(20_000)}\r\n\r\nbody\r\n--${boundary}--\r\n`),
      ]);

      const res = await rawUpload(release.id, malformed).expect(400);

      expect(res.body.message).toMatch(/not a readable multipart body|broke off/);
      await expectNothingKept(release.id, before);
    });

    it('given a client that goes away mid-upload, when the connection drops, then the partial file is removed and nothing is recorded', async () => {
      const release = await fileRelease(t);
      const before = await blobs();
      const server = t.app.getHttpServer() as Server;
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const client = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/releases/${release.id}/artifacts`,
        headers: {
          authorization: `Bearer ${t.tokens['project-team']}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(MAX),
        },
      });
      client.on('error', () => undefined);
      client.write(Buffer.concat([partHead('dropped.bin'), randomBytes(20_000)]));
      await eventually(async () => (await filesUnder(join(pslDir, 'tmp'))).length > 0, {
        what: 'the upload to start writing',
      });

      client.destroy();

      await eventually(async () => (await filesUnder(join(pslDir, 'tmp'))).length === 0, {
        what: 'the partial file to be removed',
      });
      await expectNothingKept(release.id, before);
      await upload(release.id, [['after.bin', randomBytes(10)]]).expect(201);
    });

    it('given a library directory that cannot be written, when a file is uploaded, then 400 without a path of the machine, and nothing is kept', async () => {
      const release = await fileRelease(t);
      const before = await blobs();
      const tmp = join(pslDir, 'tmp');
      await rm(tmp, { recursive: true, force: true });
      await writeFile(tmp, 'a file where the directory should be');
      try {
        const res = await upload(release.id, [['blocked.bin', randomBytes(50_000)]]).expect(400);
        expect(res.body.message).toMatch(/could not be stored, nothing was kept/);
        expect(res.body.message).not.toContain(pslDir);
      } finally {
        await rm(tmp, { force: true });
      }
      await expectNothingKept(release.id, before);
    });
  });

  it('refuses what is not a package upload: no multipart, no file, a cancelled release', async () => {
    const release = await fileRelease(t);
    await t.as('project-team').post(`/api/releases/${release.id}/artifacts`).send({ file: 'x' }).expect(400);
    await t
      .as('project-team')
      .post(`/api/releases/${release.id}/artifacts`)
      .field('note', 'no file')
      .expect(400);
    await t
      .as('project-team')
      .post(`/api/releases/REL-1999-0001/artifacts`)
      .attach('file', Buffer.from('x'), 'x')
      .expect(404);
    await t
      .as('project-manager')
      .post(`/api/releases/${release.id}/cancel`)
      .send({ reason: 'test' })
      .expect(200);
    await upload(release.id, [['late.zip', Buffer.from('late')]]).expect(409);
  });

  it('given a release with no package, when psl.archive runs, then it is a recorded no-op', async () => {
    const release = await fileRelease(t, { source: 'document' });
    expect(await archive(release.id)).toEqual({
      version: release.number,
      archived: [],
      note: 'no package was uploaded: nothing to archive',
    });
  });

  it('given no notification channel configured, when a notify job runs, then nothing is sent and the history says so', async () => {
    const release = await fileRelease(t);
    const id = await startFixture(
      t,
      'notify-nowhere',
      [{ id: 'tell', type: 'notify', headers: { template: 'released' } }],
      release.id,
    );
    await waitForInstanceEnd(t, id);
    const outcome = (await historyOf(t, id)).find((h) => h.type === 'job.completed')!.data.outcome;
    expect(outcome).toMatchObject({
      template: 'released',
      sent: 0,
      note: expect.stringContaining('no notification channel is configured'),
    });
    expect(
      await t.dataSource.query(
        'SELECT * FROM outbound_delivery WHERE job_id IN (SELECT id FROM job WHERE instance_id = $1)',
        [id],
      ),
    ).toEqual([]);
  });

  it('given a standard release whose archived package is tampered with, when the integrity check runs before install, then it fails into an incident and the install task never opens; restored and retried, the install goes ahead', async () => {
    const release = await fileRelease(t);
    await step(t, release.id, 'assess-request', { assessmentDecision: 'approve' });
    await step(t, release.id, 'define-strategy');
    await step(t, release.id, 'plan-release');
    await step(t, release.id, 'allocate-version', { versionNumber: '4.2.0' });
    const pkg = randomBytes(5000);
    await upload(release.id, [['billing-4.2.0.tar.gz', pkg]]).expect(201);
    await step(t, release.id, 'build-package', { packageName: 'billing-4.2.0.tar.gz' });
    await step(t, release.id, 'test-release', { testResult: 'pass' });
    await waitForJob(t, release.instanceId, 'archive-package');
    const listed = (await t.as('applicant').get(`/api/releases/${release.id}/artifacts`).expect(200)).body
      .items;
    expect(listed[0]).toMatchObject({ status: 'archived', version: '4.2.0', sha256: sha256(pkg) });

    const blob = join(pslDir, 'sha256', sha256(pkg).slice(0, 2), sha256(pkg));
    const tampered = Buffer.from(pkg);
    tampered[100] = tampered[100]! ^ 0xff;
    await writeFile(blob, tampered);
    await step(t, release.id, 'authorise-deployment', { deploymentDecision: 'approve' });

    const job = await waitForJob(t, release.instanceId, 'verify-package', 'failed');
    expect(job.attempts).toBe(3);
    expect(job.error).toContain(
      `billing-4.2.0.tar.gz (expected sha256 ${sha256(pkg)}, found ${sha256(tampered)})`,
    );
    const view = (await t.as('project-manager').get(`/api/releases/${release.id}`).expect(200)).body;
    expect(view.incidents).toEqual([
      expect.objectContaining({ jobType: 'psl.verify', elementId: 'verify-package' }),
    ]);
    expect(view.openTasks).toEqual([]);

    await writeFile(blob, pkg);
    await t.as('admin').post(`/api/incidents/${view.incidents[0].id}/retry`).expect(200);
    await eventually(
      async () =>
        (await t.as('project-manager').get(`/api/releases/${release.id}`)).body.openTasks.some(
          (task: any) => task.elementId === 'install-release',
        ),
      { what: 'the install task' },
    );
    const verified = (await historyOf(t, release.instanceId)).filter(
      (h) => h.type === 'job.completed' && h.element_id === 'verify-package',
    );
    expect(verified[0]!.data.outcome).toEqual({
      verified: [{ name: 'billing-4.2.0.tar.gz', version: '4.2.0', sha256: sha256(pkg), ok: true }],
    });
  });
});
