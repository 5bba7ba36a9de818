import { sampleFormData } from '../support/form-samples';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  addUsers,
  settle,
  taskSnapshot,
  MINIMAL_REQUEST,
  ReleaseDriver,
  type Task,
} from '../support/release-driver';

/**
 * Segregation of duties (release-procedure: roles): the person who filed a request never approves it; the
 * person who built a package never signs its test report. Holding both roles does not get round it, and a
 * refused completion changes nothing.
 */
describe('segregation of duties', () => {
  let t: TestApp;
  let walk: ReleaseDriver;

  const APPLICANT_REASON = 'segregation of duties: the applicant may not assess or approve their own request';
  const BUILDER_REASON =
    'segregation of duties: whoever built the package may not sign its test or verification report';

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    await addUsers(t, [
      { username: 'pm-applicant', roles: ['applicant', 'project-manager'] },
      { username: 'builder-tester', roles: ['project-team', 'test-team'] },
      { username: 'builder-rep', roles: ['project-team', 'user-representative'] },
    ]);
  });
  afterAll(() => t.close());

  /** Try to complete the task with valid data as `as`; expect 403 with the reason and nothing changed. */
  async function expectRefused(task: Task, as: string, reason: string, data: Record<string, unknown> = {}) {
    await settle(t, task.instanceId);
    const before = await taskSnapshot(t, task.id);
    const res = await t
      .as(as)
      .post(`/api/tasks/${task.id}/complete`)
      .send({ data: sampleFormData(task.formKey, data) })
      .expect(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'forbidden', message: reason });
    const after = await taskSnapshot(t, task.id);
    expect(after).toEqual(before);
    expect(after.task).toMatchObject({ status: 'open', completed_by: null, output: null });
  }

  describe('the applicant never approves their own request', () => {
    it('given a request filed by the applicant, when the applicant tries to assess it, then 403: the assessment is for project managers', async () => {
      const release = await walk.file('standard');
      const assess = await walk.task(release.id, 'assess-request');
      await expectRefused(assess, 'applicant', 'only members of project-manager may complete this task', {
        assessmentDecision: 'approve',
      });
    });

    it('given a request filed by a user who is also a project manager, when they assess it themselves, then 403 with the reason, and another project manager may', async () => {
      const release = await walk.file('standard', { title: 'my own request' }, 'pm-applicant');
      expect(release.createdBy).toBe('pm-applicant');
      const assess = await walk.task(release.id, 'assess-request');

      await expectRefused(assess, 'pm-applicant', APPLICANT_REASON, { assessmentDecision: 'approve' });
      // Claiming it first does not help.
      await t.as('pm-applicant').post(`/api/tasks/${assess.id}/claim`).expect(200);
      await expectRefused(assess, 'pm-applicant', APPLICANT_REASON, { assessmentDecision: 'approve' });
      await t.as('pm-applicant').post(`/api/tasks/${assess.id}/unclaim`).expect(200);

      await walk.finish(assess, { assessmentDecision: 'approve' }, 'project-manager');
      const done = await t.as('project-manager').get(`/api/tasks/${assess.id}`).expect(200);
      expect(done.body).toMatchObject({ status: 'completed', completedBy: 'project-manager' });

      // The same applicant may do the project manager's other work on it (strategy and plan are not approvals) ...
      await walk.step(release.id, 'define-strategy', {}, 'pm-applicant');
      await walk.step(release.id, 'plan-release', {}, 'pm-applicant');
      await walk.step(release.id, 'allocate-version', { versionNumber: '2.0.0' });
      await walk.step(release.id, 'build-package');
      await walk.step(release.id, 'test-release', { testResult: 'pass' });
      // ... but not authorise its deployment.
      const authorise = await walk.task(release.id, 'authorise-deployment');
      await expectRefused(authorise, 'pm-applicant', APPLICANT_REASON, { deploymentDecision: 'approve' });
      await walk.finish(authorise, { deploymentDecision: 'approve' }, 'project-manager');
    });

    it('given an emergency filed by a project manager, when they approve it themselves, then 403, and another project manager may', async () => {
      const release = await walk.file('emergency', {}, 'pm-applicant');
      const approve = await walk.task(release.id, 'approve-emergency');
      await expectRefused(approve, 'pm-applicant', APPLICANT_REASON, { approvalDecision: 'approve' });
      await walk.finish(approve, { approvalDecision: 'approve' }, 'project-manager');
      await walk.task(release.id, 'build-package');
    });

    it('given a major release filed by a project manager, when they review its plan themselves, then 403', async () => {
      const release = await walk.file('major', {}, 'pm-applicant');
      await walk.step(release.id, 'assess-request', { assessmentDecision: 'approve' }, 'project-manager');
      await walk.step(release.id, 'define-strategy', {}, 'pm-applicant');
      await walk.step(release.id, 'plan-release', {}, 'pm-applicant');
      const review = await walk.task(release.id, 'review-plan');
      await expectRefused(review, 'pm-applicant', APPLICANT_REASON, { planApproved: true });
      await walk.finish(review, { planApproved: true }, 'project-manager');
      await walk.task(release.id, 'allocate-version');
    });
  });

  describe('the builder never signs the test report of their own package', () => {
    it('given a package built by a user who is also a tester, when they complete its test, then 403 with the reason, and another tester may', async () => {
      const release = await walk.file('standard');
      await walk.standardTo(release.id, 'test-release', { 'build-package': 'builder-tester' });
      const history = await walk.history(release.id);
      expect(history.find((h) => h.type === 'task.completed' && h.elementId === 'build-package')?.actor).toBe(
        'builder-tester',
      );

      const test = await walk.task(release.id, 'test-release');
      await expectRefused(test, 'builder-tester', BUILDER_REASON, { testResult: 'pass' });
      await walk.finish(test, { testResult: 'pass' }, 'test-team');
      const authorise = await walk.task(release.id, 'authorise-deployment');
      expect(authorise.status).toBe('open');
      const completions = (await walk.history(release.id)).filter(
        (h) => h.type === 'task.completed' && h.elementId === 'test-release',
      );
      expect(completions.map((h) => h.actor)).toEqual(['test-team']);
    });

    it('given an emergency package built by a user who is also a tester, when they verify the installation, then 403', async () => {
      const release = await walk.file('emergency');
      await walk.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
      await walk.step(release.id, 'build-package', {}, 'builder-tester');
      await walk.step(release.id, 'install-release', { installResult: 'success' }, 'project-team');
      const verify = await walk.task(release.id, 'verify-release');
      await expectRefused(verify, 'builder-tester', BUILDER_REASON, { verificationResult: 'pass' });
      await walk.finish(verify, { verificationResult: 'pass' }, 'test-team');
      // The test report after the fact is a test report of the same package.
      const report = await walk.task(release.id, 'complete-test-report');
      await expectRefused(report, 'builder-tester', BUILDER_REASON, { testResult: 'pass' });
      await walk.finish(report, { testResult: 'pass' }, 'test-team');
    });

    it('given a major package built by a user who is also a user representative, when they file the external test report, then 403', async () => {
      const release = await walk.file('major');
      for (const [elementId, data] of [
        ['assess-request', { assessmentDecision: 'approve' }],
        ['define-strategy', {}],
        ['plan-release', {}],
        ['review-plan', { planApproved: true }],
        ['allocate-version', {}],
      ] as Array<[string, Record<string, unknown>]>)
        await walk.step(release.id, elementId, data);
      await walk.step(release.id, 'build-package', {}, 'builder-rep');
      await walk.step(release.id, 'test-release', { testResult: 'pass' });
      const verification = await walk.task(release.id, 'user-verification');
      await expectRefused(verification, 'builder-rep', BUILDER_REASON, { verificationResult: 'pass' });
      await walk.finish(verification, { verificationResult: 'pass' }, 'user-representative');
      await walk.task(release.id, 'authorise-deployment');
    });

    it('given a package built by someone else, when the builder-tester tests it, then it is theirs to sign', async () => {
      const release = await walk.file('standard');
      await walk.standardTo(release.id, 'test-release', { 'build-package': 'project-team' });
      const test = await walk.task(release.id, 'test-release');
      await walk.finish(test, { testResult: 'pass' }, 'builder-tester');
      await walk.task(release.id, 'authorise-deployment');
    });
  });
});
