import { startTestApp, type TestApp } from '../support/test-app';
import {
  ReleaseDriver,
  task,
  type Step,
  offer,
  sequenceFlowsOf,
  type Release,
} from '../support/release-driver';

/**
 * Major release (重大发布, figure 5.3-3): every path of processes/major-release.bpmn, driven through the HTTP
 * API with the real workers, PostgreSQL and Redis.
 */
describe('major release flow', () => {
  let t: TestApp;
  let flow: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    flow = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  const ASSESS = offer('assess-request', 'project-manager', 'release-assessment');
  const REWORK = offer('rework-request', 'applicant', 'release-request');
  const STRATEGY = offer('define-strategy', 'project-manager', 'release-strategy');
  const PLAN = offer('plan-release', 'project-manager', 'release-plan');
  const REVIEW_PLAN = offer('review-plan', 'project-manager', 'plan-review');
  const ALLOCATE = offer('allocate-version', 'network-engineer', 'version-allocation');
  const BUILD = offer('build-package', 'project-team', 'build-record');
  const TEST = offer('test-release', 'test-team', 'test-report');
  const USER_VERIFY = offer('user-verification', 'user-representative', 'external-test-report');
  const AUTHORISE = offer('authorise-deployment', 'project-manager', 'deployment-authorisation');
  const INSTALL = offer('install-release', 'project-team', 'installation-record');
  const ROLLBACK_CAUSE = offer('record-rollback-cause', 'project-manager', 'rollback-record');
  const CHECK = offer('check-configuration', 'network-engineer', 'configuration-check');
  const REPORT = offer('write-release-report', 'project-manager', 'release-report');
  const ASSESSMENT_REPORT = offer('write-assessment-report', 'project-manager', 'release-assessment-report');
  const ARCHIVE = offer('archive-release', 'network-engineer', 'archive-record');

  const PLANNING_TASKS = [ASSESS, STRATEGY, PLAN, REVIEW_PLAN, ALLOCATE];
  const BUILD_TASKS = [BUILD, TEST, USER_VERIFY];
  const CLOSING_TASKS = [AUTHORISE, INSTALL, CHECK, REPORT, ASSESSMENT_REPORT, ARCHIVE];

  const ASSESSED = ['start', 'assess-request', 'assessment-decision'];
  const PLANNED = [
    'define-strategy',
    'plan-release',
    'review-plan',
    'plan-review-result',
    'allocate-version',
  ];
  const BUILT = [
    'build-merge',
    'build-package',
    'archive-package',
    'record-build',
    'test-release',
    'test-result',
  ];
  const VERIFIED = ['user-verification', 'verification-result'];
  const INSTALLED = [
    'authorise-deployment',
    'deployment-decision',
    'verify-package',
    'install-release',
    'install-result',
  ];
  const ROLLED_BACK = ['rollback-release', 'record-rollback-cause', 're-execute'];
  const CLOSED = [
    'update-cmdb',
    'check-configuration',
    'notify-distribution',
    'write-release-report',
    'generate-assessment-report',
    'write-assessment-report',
    'archive-release',
    'notify-closed',
    'end-closed',
  ];

  const BUILD_JOBS = ['psl.archive:archive-package', 'cmdb.sync:record-build'];
  const CLOSE_JOBS = [
    'cmdb.sync:update-cmdb',
    'notify:notify-distribution',
    'report.generate:generate-assessment-report',
    'notify:notify-closed',
  ];

  const approveAndPlan = (): Step[] => [
    task('assess-request', { assessmentDecision: 'approve' }),
    task('define-strategy', { namingRule: 'YYYY.N', releaseType: 'full' }),
    task('plan-release', { plannedStart: '2026-12-20T22:00:00Z' }),
    task('review-plan', { planApproved: true }),
    task('allocate-version', { versionNumber: '2026.1' }),
  ];

  /** build → test (pass) → user verification with the given result. */
  const buildTestVerify = (verificationResult: 'pass' | 'fail'): Step[] => [
    task('build-package', { packageName: 'erp-2026.1.tar.gz' }),
    task('test-release', { testResult: 'pass' }),
    task('user-verification', { verificationResult, findings: 'UAT-2026-01' }),
  ];

  const deployAndClose = (): Step[] => [
    task('authorise-deployment', { deploymentDecision: 'approve' }),
    task('install-release', { installResult: 'success' }),
    task('check-configuration', { configurationVerified: true }),
    task('write-release-report', { summary: 'done' }),
    task('write-assessment-report', { assessment: 'met all acceptance criteria' }),
    task('archive-release', { archiveLocation: 'PSL shelf 3' }),
  ];

  async function expectEnd(release: Release, status: string) {
    const ended = await flow.waitForEnd(release.id);
    expect(ended.instance.status).toBe('completed');
    expect(ended.instance.endStatus).toBe(status);
    expect(ended.release.status).toBe(status);
    return ended;
  }

  it('given a major release, when every step passes, then strategy, reviewed plan, build, test, user verification, deployment, both reports and archive lead to closed', async () => {
    const release = await flow.file('major');
    expect(release).toMatchObject({ releaseClass: 'major', status: 'in-progress' });
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('pass'));
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.step(release.id, 'install-release', { installResult: 'success' });
    await flow.step(release.id, 'check-configuration', { configurationVerified: true });
    await flow.step(release.id, 'write-release-report', { summary: 'done' });
    // Closing needs the assessment report too: the release is still open after the release report.
    const assessment = await flow.task(release.id, 'write-assessment-report');
    expect((await flow.release(release.id)).status).toBe('in-progress');
    expect(await flow.jobsRun(release.instanceId)).toContain('report.generate:generate-assessment-report');
    // The assessment is written from a draft of its report; the release report waits for the close.
    expect(await flow.report(release.id, 'assessment-report')).toContain('待项目经理填写');
    expect(await flow.report(release.id)).toBeUndefined();
    await flow.finish(assessment, { assessment: 'met all acceptance criteria' });
    await flow.step(release.id, 'archive-release', { archiveLocation: 'PSL shelf 3' });

    const { instance } = await expectEnd(release, 'closed');
    // At the close both reports are generated again from the final record.
    for (const kind of ['release-report', 'assessment-report']) {
      const report = await flow.report(release.id, kind);
      expect(report).toContain('| 状态 Status | 已关闭 closed |');
      expect(report).not.toContain('待项目经理填写');
    }
    expect(await flow.report(release.id, 'assessment-report')).toContain('met all acceptance criteria');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([...PLANNING_TASKS, ...BUILD_TASKS, ...CLOSING_TASKS]);
    expect(await flow.jobs(release.instanceId)).toEqual([
      { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'record-build', headers: { action: 'build' } },
      { jobType: 'psl.verify', elementId: 'verify-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'update-cmdb', headers: { action: 'install' } },
      { jobType: 'notify', elementId: 'notify-distribution', headers: { template: 'released' } },
      {
        jobType: 'report.generate',
        elementId: 'generate-assessment-report',
        headers: { kind: 'assessment-report' },
      },
      { jobType: 'notify', elementId: 'notify-closed', headers: { template: 'closed' } },
    ]);
    expect(instance.variables).toMatchObject({
      releaseClass: 'major',
      planApproved: true,
      verificationResult: 'pass',
    });
  });

  it('given a plan the review rejects, when the project manager revises it and the review approves, then the flow goes on to closed', async () => {
    const release = await flow.file('major');
    await flow.step(release.id, 'assess-request', { assessmentDecision: 'approve' });
    await flow.step(release.id, 'define-strategy', { namingRule: 'YYYY.N' });
    await flow.step(release.id, 'plan-release', { plannedStart: '2026-12-20T22:00:00Z' });
    await flow.step(release.id, 'review-plan', { planApproved: false, reviewComment: 'no downtime window' });
    await flow.step(release.id, 'plan-release', { plannedStart: '2026-12-27T02:00:00Z' });
    await flow.step(release.id, 'review-plan', { planApproved: true });
    await flow.step(release.id, 'allocate-version', { versionNumber: '2026.1' });
    await flow.walk(release, buildTestVerify('pass'));
    await flow.walk(release, deployAndClose());

    await expectEnd(release, 'closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'define-strategy',
      'plan-release',
      'review-plan',
      'plan-review-result',
      'plan-release',
      'review-plan',
      'plan-review-result',
      'allocate-version',
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      REVIEW_PLAN,
      PLAN,
      REVIEW_PLAN,
      ALLOCATE,
      ...BUILD_TASKS,
      ...CLOSING_TASKS,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
  });

  it('given a failed user verification, when the project manager re-executes, then it is rolled back, rebuilt, retested, verified again and closed (5.3.5, 5.3.6)', async () => {
    const release = await flow.file('major');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('fail'));
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'report layout broken',
      reExecute: true,
    });
    await flow.walk(release, buildTestVerify('pass'));
    await flow.walk(release, deployAndClose());

    await expectEnd(release, 'closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      ...ROLLED_BACK,
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ...PLANNING_TASKS,
      ...BUILD_TASKS,
      ROLLBACK_CAUSE,
      ...BUILD_TASKS,
      ...CLOSING_TASKS,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'release.rollback:rollback-release',
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
  });

  it('given a failed user verification, when the project manager does not re-execute, then it is rolled back, notified and ends rolled-back', async () => {
    const release = await flow.file('major');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('fail'));
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'users refuse the new UI',
      reExecute: false,
    });

    await expectEnd(release, 'rolled-back');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      ...ROLLED_BACK,
      'notify-rolled-back',
      'end-rolled-back',
    ]);
    expect(flow.offered(release.id)).toEqual([...PLANNING_TASKS, ...BUILD_TASKS, ROLLBACK_CAUSE]);
    expect(await flow.jobs(release.instanceId)).toEqual([
      { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'record-build', headers: { action: 'build' } },
      { jobType: 'release.rollback', elementId: 'rollback-release', headers: {} },
      { jobType: 'notify', elementId: 'notify-rolled-back', headers: { template: 'rollback' } },
    ]);
  });

  it('given a failed installation, when the project manager re-executes, then it is rolled back and goes through build, test and user verification again before it closes', async () => {
    const release = await flow.file('major');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('pass'));
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.step(release.id, 'install-release', {
      installResult: 'failure',
      failureReason: 'migration timed out',
    });
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'migration timed out',
      reExecute: true,
    });
    await flow.walk(release, buildTestVerify('pass'));
    await flow.walk(release, deployAndClose());

    const { instance } = await expectEnd(release, 'closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...ROLLED_BACK,
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ...PLANNING_TASKS,
      ...BUILD_TASKS,
      AUTHORISE,
      INSTALL,
      ROLLBACK_CAUSE,
      ...BUILD_TASKS,
      ...CLOSING_TASKS,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      'release.rollback:rollback-release',
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
    expect(instance.takenFlows).toContain('flow-install-result-to-rollback-release');
  });

  it('given a major request, when the project manager rejects it at assessment, then the applicant is notified and it ends rejected', async () => {
    const release = await flow.file('major');
    await flow.step(release.id, 'assess-request', { assessmentDecision: 'reject' });

    await expectEnd(release, 'rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([ASSESS]);
    expect(await flow.jobs(release.instanceId)).toEqual([
      { jobType: 'notify', elementId: 'notify-rejected', headers: { template: 'rejected' } },
    ]);
  });

  it('given a request returned for rework and a first test that fails, when reworked, approved and rebuilt, then it closes', async () => {
    const release = await flow.file('major');
    await flow.step(release.id, 'assess-request', { assessmentDecision: 'rework' });
    await flow.step(release.id, 'rework-request', { scope: 'ERP finance modules only' });
    await flow.walk(release, approveAndPlan());
    await flow.step(release.id, 'build-package', { packageName: 'b1' });
    await flow.step(release.id, 'test-release', {
      testResult: 'fail',
      defects: [{ id: 'BUG-9', severity: 'major', description: 'totals off by one' }],
    });
    await flow.walk(release, buildTestVerify('pass'));
    await flow.walk(release, deployAndClose());

    await expectEnd(release, 'closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'rework-request',
      ...ASSESSED.slice(1),
      ...PLANNED,
      ...BUILT,
      'notify-test-failed',
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      REWORK,
      ...PLANNING_TASKS,
      BUILD,
      TEST,
      ...BUILD_TASKS,
      ...CLOSING_TASKS,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'notify:notify-test-failed',
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
    expect(await flow.notifications(release.instanceId)).toEqual(['test-failed', 'released', 'closed']);
  });

  it('given a verified release, when the project manager refuses to authorise the deployment, then nothing is installed and it ends rejected', async () => {
    const release = await flow.file('major');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('pass'));
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'reject' });

    await expectEnd(release, 'rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      'authorise-deployment',
      'deployment-decision',
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([...PLANNING_TASKS, ...BUILD_TASKS, AUTHORISE]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([...BUILD_JOBS, 'notify:notify-rejected']);
  });

  // Safe defaults: only an explicit approve / true / pass / success goes ahead; a decision that is missing
  // or misspelt (the inbox refuses it; forceDecision pushes it past the form) takes the safe branch.

  it('given an assessment without a decision, when it reaches the gateway, then the request is not planned but rejected', async () => {
    const release = await flow.file('major');
    await flow.forceDecision(release.id, 'assess-request', 'assessmentDecision');

    await expectEnd(release, 'rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([ASSESS]);
  });

  it('given a plan review, a test result, a user verification and a deployment authorisation each without a valid decision, when each reaches its gateway, then it takes the safe branch every time and ends rejected', async () => {
    const release = await flow.file('major');
    await flow.step(release.id, 'assess-request', { assessmentDecision: 'approve' });
    await flow.step(release.id, 'define-strategy', { namingRule: 'YYYY.N' });
    await flow.step(release.id, 'plan-release', { plannedStart: '2026-12-20T22:00:00Z' });
    // No review verdict (a checkbox left out is false, as the form-js viewer submits it): the plan goes back.
    await flow.step(release.id, 'review-plan', {});
    await flow.step(release.id, 'plan-release', { plannedStart: '2026-12-27T02:00:00Z' });
    await flow.step(release.id, 'review-plan', { planApproved: true });
    await flow.step(release.id, 'allocate-version', { versionNumber: '2026.1' });
    // A misspelt test result: back to build.
    await flow.step(release.id, 'build-package', { packageName: 'b1' });
    await flow.forceDecision(release.id, 'test-release', 'testResult', 'PASS');
    // No user verdict: rolled back; the project manager re-executes.
    await flow.step(release.id, 'build-package', { packageName: 'b2' });
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.forceDecision(release.id, 'user-verification', 'verificationResult');
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'not verified by the users',
      reExecute: true,
    });
    await flow.walk(release, buildTestVerify('pass'));
    // No deployment decision: nothing is installed.
    await flow.forceDecision(release.id, 'authorise-deployment', 'deploymentDecision');

    await expectEnd(release, 'rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'define-strategy',
      'plan-release',
      'review-plan',
      'plan-review-result',
      ...PLANNED.slice(1),
      ...BUILT,
      'notify-test-failed',
      ...BUILT,
      ...VERIFIED,
      ...ROLLED_BACK,
      ...BUILT,
      ...VERIFIED,
      'authorise-deployment',
      'deployment-decision',
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      REVIEW_PLAN,
      ...PLANNING_TASKS.slice(2),
      BUILD,
      TEST,
      ...BUILD_TASKS,
      ROLLBACK_CAUSE,
      ...BUILD_TASKS,
      AUTHORISE,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'notify:notify-test-failed',
      ...BUILD_JOBS,
      'release.rollback:rollback-release',
      ...BUILD_JOBS,
      'notify:notify-rejected',
    ]);
  });

  it('given an installation with a misspelt result, when it reaches the gateway, then it is rolled back, not recorded in the CMDB, and ends rolled-back', async () => {
    const release = await flow.file('major');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, buildTestVerify('pass'));
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.forceDecision(release.id, 'install-release', 'installResult', 'succes');
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'install result unclear',
      reExecute: false,
    });

    await expectEnd(release, 'rolled-back');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...VERIFIED,
      ...INSTALLED,
      ...ROLLED_BACK,
      'notify-rolled-back',
      'end-rolled-back',
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      'release.rollback:rollback-release',
      'notify:notify-rolled-back',
    ]);
  });

  it('the scenarios above walk every sequence flow of major-release.bpmn', () => {
    const missing = sequenceFlowsOf('major-release').filter((f) => !flow.flowsTaken.has(f));
    expect(missing).toEqual([]);
  });
});
