import { startTestApp, type TestApp } from '../support/test-app';
import { ReleaseDriver, task, type Step, offer, sequenceFlowsOf } from '../support/release-driver';

/**
 * Standard release (标准发布, figure 5.3-1): every path of processes/standard-release.bpmn, driven through
 * the HTTP API with the real workers, PostgreSQL and Redis.
 */
describe('standard release flow', () => {
  let t: TestApp;
  let flow: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    flow = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  // The tasks as they reach their groups' inboxes.
  const ASSESS = offer('assess-request', 'project-manager', 'release-assessment');
  const REWORK = offer('rework-request', 'applicant', 'release-request');
  const STRATEGY = offer('define-strategy', 'project-manager', 'release-strategy');
  const PLAN = offer('plan-release', 'project-manager', 'release-plan');
  const ALLOCATE = offer('allocate-version', 'network-engineer', 'version-allocation');
  const BUILD = offer('build-package', 'project-team', 'build-record');
  const TEST = offer('test-release', 'test-team', 'test-report');
  const AUTHORISE = offer('authorise-deployment', 'project-manager', 'deployment-authorisation');
  const INSTALL = offer('install-release', 'project-team', 'installation-record');
  const ROLLBACK_CAUSE = offer('record-rollback-cause', 'project-manager', 'rollback-record');
  const CHECK = offer('check-configuration', 'network-engineer', 'configuration-check');
  const REPORT = offer('write-release-report', 'project-manager', 'release-report');
  const ARCHIVE = offer('archive-release', 'network-engineer', 'archive-record');

  // Stretches of the path (activity.end order), shared by the scenarios.
  const ASSESSED = ['start', 'assess-request', 'assessment-decision'];
  const PLANNED = ['strategy-needed', 'define-strategy', 'plan-release', 'allocate-version'];
  const PLANNED_NO_STRATEGY = ['strategy-needed', 'plan-release', 'allocate-version'];
  const BUILT = ['build-merge', 'build-package', 'archive-package', 'record-build', 'test-needed'];
  const TESTED = ['test-release', 'test-result'];
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
    'archive-release',
    'notify-closed',
    'end-closed',
  ];

  // The jobs (job_type:element_id, created order).
  const BUILD_JOBS = ['psl.archive:archive-package', 'cmdb.sync:record-build'];
  const CLOSE_JOBS = ['cmdb.sync:update-cmdb', 'notify:notify-distribution', 'notify:notify-closed'];

  /** assess (approve) → strategy (unless shortcut) → plan → version. */
  const approveAndPlan = (withStrategy = true): Step[] => [
    task('assess-request', { assessmentDecision: 'approve', impactAssessment: 'low' }),
    ...(withStrategy ? [task('define-strategy', { namingRule: 'semver', releaseType: 'full' })] : []),
    task('plan-release', {
      plannedStart: '2026-12-01T20:00:00Z',
      distributionScope: 'finance',
    }),
    task('allocate-version', { versionNumber: '4.2.0', baseline: 'BL-4.2' }),
  ];

  const build = (n = 1): Step[] => [task('build-package', { packageName: `billing-4.2.0-b${n}.tar.gz` })];

  /** authorise (approve) → install (success) → check configuration → report → archive. */
  const deployAndClose = (): Step[] => [
    task('authorise-deployment', { deploymentDecision: 'approve' }),
    task('install-release', { installResult: 'success' }),
    task('check-configuration', { configurationVerified: true }),
    task('write-release-report', { summary: 'installed as planned' }),
    task('archive-release', { archiveLocation: 'PSL shelf 3' }),
  ];

  it('given a scenario step with a misspelt routing field, when it is taken, then it fails naming the step and the field instead of taking the default branch', async () => {
    const release = await flow.file('standard');
    await expect(
      flow.walk(release, [task('assess-request', { assesmentDecision: 'approve' })]),
    ).rejects.toThrow(
      /step 1 "assess-request \(assesmentDecision="approve"\)" .*form release-assessment of assess-request has no field assesmentDecision/,
    );
    const assess = await flow.task(release.id, 'assess-request');
    expect(assess.status).toBe('open');
    await flow.walk(release, [task('assess-request', { assessmentDecision: 'reject' })]);
    expect((await flow.waitForEnd(release.id)).release.status).toBe('rejected');
  });

  it('given a software release, when every step passes, then it goes through strategy, build, test, deployment and CMDB to closed', async () => {
    const release = await flow.file('standard', { source: 'software' });
    expect(release).toMatchObject({ releaseClass: 'standard', status: 'in-progress' });
    expect(release.number).toMatch(/^REL-\d{4}-\d{4}$/);

    const assess = await flow.task(release.id, 'assess-request');
    expect(assess).toMatchObject({ businessKey: release.id, instanceId: release.instanceId, status: 'open' });
    const started = await flow.instance(release.instanceId);
    expect(started.variables).toEqual({
      releaseId: release.id,
      releaseNumber: release.number,
      releaseClass: 'standard',
      source: 'software',
      title: 'Billing service 4.2',
    });
    await flow.finish(assess, { assessmentDecision: 'approve' });
    // A task is done once.
    await t
      .as('project-manager')
      .post(`/api/tasks/${assess.id}/complete`)
      .send({ data: { assessmentDecision: 'approve', impactAssessment: 'none' } })
      .expect(409);

    await flow.step(release.id, 'define-strategy', { namingRule: 'semver' });
    await flow.step(release.id, 'plan-release', { plannedStart: '2026-12-01T20:00:00Z' });
    await flow.step(release.id, 'allocate-version', { versionNumber: '4.2.0' });
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass', defects: [] });
    await flow.walk(release, deployAndClose());

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.status).toBe('completed');
    expect(instance.endStatus).toBe('closed');
    expect(ended.status).toBe('closed');
    expect(ended.openTasks).toEqual([]);
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      CHECK,
      REPORT,
      ARCHIVE,
    ]);
    const jobs = await flow.jobs(release.instanceId);
    expect(jobs).toEqual([
      { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'record-build', headers: { action: 'build' } },
      { jobType: 'psl.verify', elementId: 'verify-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'update-cmdb', headers: { action: 'install' } },
      { jobType: 'notify', elementId: 'notify-distribution', headers: { template: 'released' } },
      { jobType: 'notify', elementId: 'notify-closed', headers: { template: 'closed' } },
    ]);
    // Each job knows its release.
    const requests: Array<{ business_key: string }> = await t.dataSource.query(
      `SELECT DISTINCT request->>'businessKey' AS business_key FROM job_effect WHERE instance_id = $1`,
      [release.instanceId],
    );
    expect(requests).toEqual([{ business_key: release.id }]);
    // The form data went into the process variables and the history.
    expect(instance.variables).toMatchObject({
      testResult: 'pass',
      installResult: 'success',
      versionNumber: '4.2.0',
    });
    expect(instance.history.filter((h) => h.type === 'task.completed').map((h) => h.elementId)).toEqual([
      'assess-request',
      'define-strategy',
      'plan-release',
      'allocate-version',
      'build-package',
      'test-release',
      'authorise-deployment',
      'install-release',
      'check-configuration',
      'write-release-report',
      'archive-release',
    ]);
    expect(instance.history.at(-1)).toMatchObject({
      type: 'instance.completed',
      data: { endStatus: 'closed' },
    });
  });

  it('given a release at its close, when the project manager has written the summary and the network engineer archived it, then its report is generated from the final record: closed, with the close time, the summary and the whole timeline', async () => {
    const release = await flow.file('standard', { title: 'Billing service 4.3' });
    await flow.walk(release, [...approveAndPlan(), ...build()]);
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.walk(release, deployAndClose().slice(0, 3));

    // The project manager writes the summary from the record: no report exists before the close.
    const summary = await flow.task(release.id, 'write-release-report');
    expect(await flow.report(release.id)).toBeUndefined();
    await flow.finish(summary, {
      summary: 'billing 4.3 went live in the window',
      issues: 'none',
    });
    await flow.step(release.id, 'archive-release', { archiveLocation: 'PSL shelf 4' });
    expect(await flow.report(release.id)).toBeUndefined();

    const { release: ended } = await flow.waitForEnd(release.id);
    expect(ended.closedAt).not.toBeNull();
    const report = await flow.report(release.id, 'release-report', 'test-team');
    expect(report).toBeDefined();
    const closedAt = new Date(ended.closedAt!)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
    expect(report).toContain('| 状态 Status | 已关闭 closed |');
    expect(report).toContain(`| 关闭时间 Closed | ${closedAt} |`);
    expect(report).toContain('| 发布总结 (summary) | billing 4.3 went live in the window |');
    expect(report).not.toContain('进行中 in progress');
    expect(report).not.toContain('待项目经理填写');
    // The timeline runs from the filing to the end, the summary and the archive included.
    const timeline = report!.slice(report!.indexOf('时间线 Timeline'));
    expect(timeline).toMatch(/applicant filed the release/);
    expect(timeline).toMatch(/编写发布报告并关闭/);
    expect(timeline).toMatch(/发布归档/);
    expect(timeline).toMatch(/the flow ended: closed/);
    // The delivery list of the close is there too, and a release gets its reports once.
    expect(await flow.report(release.id, 'delivery-list')).toContain(release.number);
    const stored: Array<{ kind: string; n: number }> = await t.dataSource.query(
      `SELECT kind, count(*)::int AS n FROM release_report WHERE release_id = $1 GROUP BY kind ORDER BY kind`,
      [release.id],
    );
    expect(stored).toEqual([
      { kind: 'delivery-list', n: 1 },
      { kind: 'release-report', n: 1 },
    ]);
  });

  it('given a request, when the project manager rejects it at assessment, then the applicant is notified and the release ends rejected', async () => {
    const release = await flow.file('standard');
    await flow.step(release.id, 'assess-request', {
      assessmentDecision: 'reject',
      comment: 'conflicts with CHG-17',
    });

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('rejected');
    expect(ended.status).toBe('rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([ASSESS]);
    expect(await flow.jobs(release.instanceId)).toEqual([
      { jobType: 'notify', elementId: 'notify-rejected', headers: { template: 'rejected' } },
    ]);
    expect(await flow.openTasks(release.id)).toEqual([]);
  });

  it('given a request returned for rework, when the applicant reworks it and it is approved, then the flow goes on to closed', async () => {
    const release = await flow.file('standard');
    await flow.step(release.id, 'assess-request', {
      assessmentDecision: 'rework',
      comment: 'add the rollback steps',
    });
    await flow.step(release.id, 'rework-request', {
      title: 'Billing service 4.2, with rollback steps',
      rollbackPlan: 'redeploy 4.1, restore snapshot',
      revisionNote: 'rollback steps added',
    });
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.walk(release, deployAndClose());

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('closed');
    expect(ended.status).toBe('closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      'rework-request',
      'assess-request',
      'assessment-decision',
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      REWORK,
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      CHECK,
      REPORT,
      ARCHIVE,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
    expect(instance.variables).toMatchObject({
      assessmentDecision: 'approve',
      revisionNote: 'rollback steps added',
    });
    // The release record follows the reworked request.
    expect(ended.title).toBe('Billing service 4.2, with rollback steps');
  });

  it.each(['document', 'project-info'] as const)(
    'given a release of source %s, when approved, then it skips the release strategy and the release test (5.3.2, 5.3.4) and closes',
    async (source) => {
      const release = await flow.file('standard', { source });
      await flow.walk(release, approveAndPlan(false));
      await flow.walk(release, build());
      await flow.walk(release, deployAndClose());

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('closed');
      expect(ended.status).toBe('closed');
      const path = await flow.pathTaken(release.instanceId);
      expect(path).toEqual([...ASSESSED, ...PLANNED_NO_STRATEGY, ...BUILT, ...INSTALLED, ...CLOSED]);
      expect(path).not.toContain('define-strategy');
      expect(path).not.toContain('test-release');
      expect(instance.takenFlows).toEqual(
        expect.arrayContaining([
          'flow-strategy-needed-to-plan-release',
          'flow-test-needed-to-authorise-deployment',
        ]),
      );
      expect(flow.offered(release.id)).toEqual([
        ASSESS,
        PLAN,
        ALLOCATE,
        BUILD,
        AUTHORISE,
        INSTALL,
        CHECK,
        REPORT,
        ARCHIVE,
      ]);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        ...BUILD_JOBS,
        'psl.verify:verify-package',
        ...CLOSE_JOBS,
      ]);
    },
  );

  it('given a failed release test, when the defects are fixed and the rebuild passes, then it goes back to build once and then on to closed', async () => {
    const release = await flow.file('standard', { source: 'hardware' });
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build(1));
    await flow.step(release.id, 'test-release', {
      testResult: 'fail',
      defects: [{ id: 'BUG-1', severity: 'major', description: 'login times out' }],
    });
    await flow.walk(release, build(2));
    await flow.step(release.id, 'test-release', { testResult: 'pass', defects: [] });
    await flow.walk(release, deployAndClose());

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('closed');
    expect(ended.status).toBe('closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      'notify-test-failed',
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      CHECK,
      REPORT,
      ARCHIVE,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'notify:notify-test-failed',
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
    expect(await flow.notifications(release.instanceId)).toEqual(['test-failed', 'released', 'closed']);
    // The defects of the failed test stay in the history even though the variable was overwritten.
    const testReports = instance.history.filter(
      (h) => h.type === 'task.completed' && h.elementId === 'test-release',
    );
    expect(testReports.map((h) => (h.data?.output as { testResult: string }).testResult)).toEqual([
      'fail',
      'pass',
    ]);
  });

  it('given a tested release, when the project manager refuses to authorise the deployment, then nothing is installed and it ends rejected', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.step(release.id, 'authorise-deployment', {
      deploymentDecision: 'reject',
      comment: 'change freeze',
    });

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('rejected');
    expect(ended.status).toBe('rejected');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      'authorise-deployment',
      'deployment-decision',
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([ASSESS, STRATEGY, PLAN, ALLOCATE, BUILD, TEST, AUTHORISE]);
    expect(await flow.jobs(release.instanceId)).toEqual([
      { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
      { jobType: 'cmdb.sync', elementId: 'record-build', headers: { action: 'build' } },
      { jobType: 'notify', elementId: 'notify-rejected', headers: { template: 'rejected' } },
    ]);
  });

  it('given a failed installation, when the project manager records the cause and re-executes, then it is rolled back, rebuilt, retested, reinstalled and closed (5.3.6)', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build(1));
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.step(release.id, 'install-release', {
      installResult: 'failure',
      failureReason: 'disk full on node 2',
    });
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'disk full on node 2',
      reExecute: true,
    });
    await flow.walk(release, build(2));
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.walk(release, deployAndClose());

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('closed');
    expect(ended.status).toBe('closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...ROLLED_BACK,
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      ROLLBACK_CAUSE,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      CHECK,
      REPORT,
      ARCHIVE,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      'release.rollback:rollback-release',
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      ...CLOSE_JOBS,
    ]);
    expect(instance.takenFlows).toContain('flow-re-execute-to-build-merge');
  });

  it('given a failed installation, when the project manager decides not to re-execute, then it is rolled back, everyone is notified and it ends rolled-back', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.step(release.id, 'install-release', { installResult: 'failure' });
    await flow.step(release.id, 'record-rollback-cause', {
      rollbackCause: 'vendor patch withdrawn',
      reExecute: false,
    });

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('rolled-back');
    expect(ended.status).toBe('rolled-back');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...ROLLED_BACK,
      'notify-rolled-back',
      'end-rolled-back',
    ]);
    expect(flow.offered(release.id)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      AUTHORISE,
      INSTALL,
      ROLLBACK_CAUSE,
    ]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([
      ...BUILD_JOBS,
      'psl.verify:verify-package',
      'release.rollback:rollback-release',
      'notify:notify-rolled-back',
    ]);
    expect(await flow.notifications(release.instanceId)).toEqual(['rollback']);
    const path = await flow.pathTaken(release.instanceId);
    expect(path).not.toContain('update-cmdb');
  });

  // Safe defaults: only an explicit approve / pass / success goes ahead; a decision that is missing or
  // misspelt (the inbox refuses it; forceDecision pushes it past the form) takes the safe branch.

  it.each([
    ['without a decision', undefined],
    ['with a misspelt decision', 'approved'],
  ])(
    'given an assessment %s, when it reaches the gateway, then the request is not planned but rejected',
    async (_, decision) => {
      const release = await flow.file('standard');
      await flow.forceDecision(release.id, 'assess-request', 'assessmentDecision', decision);

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rejected');
      expect(ended.status).toBe('rejected');
      expect(await flow.pathTaken(release.instanceId)).toEqual([
        ...ASSESSED,
        'notify-rejected',
        'end-rejected',
      ]);
      expect(flow.offered(release.id)).toEqual([ASSESS]);
    },
  );

  it('given a misspelt test result (passed), when it reaches the gateway, then it counts as a failed test and goes back to build', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build(1));
    await flow.forceDecision(release.id, 'test-release', 'testResult', 'passed');
    await flow.walk(release, build(2));
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.walk(release, deployAndClose());

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('closed');
    expect(ended.status).toBe('closed');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      'notify-test-failed',
      ...BUILT,
      ...TESTED,
      ...INSTALLED,
      ...CLOSED,
    ]);
    expect(flow.offered(release.id).slice(0, 8)).toEqual([
      ASSESS,
      STRATEGY,
      PLAN,
      ALLOCATE,
      BUILD,
      TEST,
      BUILD,
      TEST,
    ]);
    expect(await flow.notifications(release.instanceId)).toEqual(['test-failed', 'released', 'closed']);
  });

  it('given a deployment authorisation without a decision, when it reaches the gateway, then nothing is installed and it ends rejected', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.forceDecision(release.id, 'authorise-deployment', 'deploymentDecision');

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('rejected');
    expect(ended.status).toBe('rejected');
    expect(instance.variables).not.toHaveProperty('deploymentDecision');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
      'authorise-deployment',
      'deployment-decision',
      'notify-rejected',
      'end-rejected',
    ]);
    expect(flow.offered(release.id)).toEqual([ASSESS, STRATEGY, PLAN, ALLOCATE, BUILD, TEST, AUTHORISE]);
    expect(await flow.jobsRun(release.instanceId)).toEqual([...BUILD_JOBS, 'notify:notify-rejected']);
  });

  it('given an installation without a result and a rollback record without a re-execute decision, when each reaches its gateway, then it is rolled back and ends rolled-back', async () => {
    const release = await flow.file('standard');
    await flow.walk(release, approveAndPlan());
    await flow.walk(release, build());
    await flow.step(release.id, 'test-release', { testResult: 'pass' });
    await flow.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await flow.forceDecision(release.id, 'install-release', 'installResult');
    // A checkbox left out is false (as the form-js viewer submits it): no re-execution.
    await flow.step(release.id, 'record-rollback-cause', {});

    const { release: ended, instance } = await flow.waitForEnd(release.id);
    expect(instance.endStatus).toBe('rolled-back');
    expect(ended.status).toBe('rolled-back');
    expect(await flow.pathTaken(release.instanceId)).toEqual([
      ...ASSESSED,
      ...PLANNED,
      ...BUILT,
      ...TESTED,
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

  it('the scenarios above walk every sequence flow of standard-release.bpmn', () => {
    const missing = sequenceFlowsOf('standard-release').filter((f) => !flow.flowsTaken.has(f));
    expect(missing).toEqual([]);
  });
});
