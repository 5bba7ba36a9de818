import { createHash, randomBytes } from 'node:crypto';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { ReleaseDriver, inOrder, offer, sequenceFlowsOf, type Release } from '../support/release-driver';

/**
 * Emergency release (紧急发布, figure 5.3-2): every path of processes/emergency-release.bpmn, driven through
 * the HTTP API with the real workers, PostgreSQL and Redis. The escalation timer runs in an app of its own
 * on a clock the test moves past the escalation timeout.
 */
describe('emergency release flow', () => {
  const flowsTaken = new Set<string>();

  const APPROVE = offer('approve-emergency', 'project-manager', 'emergency-approval');
  const BUILD = offer('build-package', 'project-team', 'build-record');
  const INSTALL = offer('install-release', 'project-team', 'installation-record');
  const VERIFY = offer('verify-release', 'test-team', 'verification-record');
  const ROLLBACK_CAUSE = offer('record-rollback-cause', 'project-manager', 'rollback-record');
  const DOCUMENT = offer('write-documentation', 'project-manager', 'emergency-documentation');
  const TEST_REPORT = offer('complete-test-report', 'test-team', 'test-report');
  const REVIEW = offer('post-implementation-review', 'project-manager', 'post-implementation-review');
  const REGISTER = offer('register-version', 'network-engineer', 'emergency-configuration');
  const ARCHIVE = offer('archive-release', 'network-engineer', 'archive-record');
  /** The tasks EMERGENCY_CLOSE_OUT takes, in its order. */
  const CLOSE_OUT = [DOCUMENT, TEST_REPORT, REGISTER, REVIEW, ARCHIVE];

  const APPROVED = ['start', 'notify-approval-needed', 'approve-emergency', 'approval-decision'];
  const INSTALLED = [
    'build-merge',
    'build-package',
    'archive-package',
    'verify-package',
    'install-release',
    'install-result',
  ];
  const VERIFIED = ['verify-release', 'verification-result'];
  const ROLLED_BACK = ['rollback-release', 'record-rollback-cause', 're-execute'];
  const AFTER_THE_FACT = ['write-documentation', 'complete-test-report', 'register-version', 'update-cmdb'];
  const CLOSED = [
    'after-the-fact-join',
    'post-implementation-review',
    'archive-release',
    'archive-documents',
    'notify-closed',
    'end-closed',
  ];

  const INSTALL_JOBS = ['psl.archive:archive-package', 'psl.verify:verify-package'];
  const CLOSE_JOBS = [
    'notify:notify-distribution',
    'cmdb.sync:update-cmdb',
    'psl.archive:archive-documents',
    'notify:notify-closed',
  ];

  /**
   * The path with the parallel after-the-fact branches checked as a set: the three tasks and the CMDB job
   * finish in whichever order the people and the worker get to them, the CMDB update after the version.
   */
  function expectClosedPath(path: string[], before: string[]): void {
    const head = [...before, 'notify-distribution', 'after-the-fact'];
    const branches = path.slice(head.length, head.length + AFTER_THE_FACT.length);
    expect(path.slice(0, head.length)).toEqual(head);
    expect([...branches].sort()).toEqual([...AFTER_THE_FACT].sort());
    expect(inOrder(branches, ['register-version', 'update-cmdb'])).toBe(true);
    expect(path.slice(head.length + AFTER_THE_FACT.length)).toEqual(CLOSED);
  }

  async function timerJobs(
    t: TestApp,
    instanceId: string,
  ): Promise<Array<{ element_id: string; status: string }>> {
    return t.dataSource.query(
      `SELECT element_id, status FROM job WHERE instance_id = $1 AND kind = 'timer'`,
      [instanceId],
    );
  }

  describe('with the default escalation timeout (PT30M)', () => {
    let t: TestApp;
    let flow: ReleaseDriver;

    beforeAll(async () => {
      t = await startTestApp();
      flow = ReleaseDriver.forApp(t, { flowsTaken });
    });
    afterAll(() => t.close());

    it('given an approved emergency, when install and verification pass, then the after-the-fact branches, the post-implementation review and the archive run before it closes', async () => {
      const release = await flow.file('emergency');
      expect(release).toMatchObject({ releaseClass: 'emergency', status: 'in-progress' });

      const approval = await flow.task(release.id, 'approve-emergency');
      const waiting = await flow.instance(release.instanceId);
      expect(waiting.variables).toMatchObject({ releaseClass: 'emergency', escalationTimeout: 'PT30M' });
      expect(waiting.activeActivities).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ elementId: 'approve-emergency', kind: 'user-task' }),
          expect.objectContaining({ kind: 'timer' }),
        ]),
      );
      // The release's page shows the same steps, named and timed alike, without reading the whole history.
      expect((await flow.release(release.id)).currentSteps).toEqual(waiting.activeActivities);
      await flow.finish(approval, { approvalDecision: 'approve' });
      // The decision came in time: the escalation timer is withdrawn, nobody is escalated to.
      expect(await timerJobs(t, release.instanceId)).toEqual([
        { element_id: 'escalation-timer', status: 'cancelled' },
      ]);

      await flow.step(release.id, 'build-package', { packageName: 'gateway-cert-2026.tar.gz' });
      await flow.step(release.id, 'install-release', { installResult: 'success', smokeTest: 'pass' });
      await flow.step(release.id, 'verify-release', { verificationResult: 'pass' });

      // Three branches after the fact; the review waits for all of them.
      const documentation = await flow.task(release.id, 'write-documentation');
      const testReport = await flow.task(release.id, 'complete-test-report');
      const version = await flow.task(release.id, 'register-version');
      await flow.finish(documentation, { documentation: 'runbook updated' });
      await flow.finish(testReport, { testResult: 'pass' });
      expect((await flow.openTasks(release.id)).map((task) => task.elementId)).toEqual(['register-version']);
      await flow.finish(version, { versionNumber: '2026.11.1-hotfix', configurationVerified: true });

      // It cannot close without its post-implementation review.
      const review = await flow.task(release.id, 'post-implementation-review');
      const reviewing = await flow.instance(release.instanceId);
      expect(reviewing.status).toBe('running');
      expect(reviewing.endStatus).toBeNull();
      expect(reviewing.activeActivities).toEqual([
        expect.objectContaining({ elementId: 'post-implementation-review', kind: 'user-task' }),
      ]);
      expect(reviewing.completedActivities).toEqual(expect.arrayContaining(AFTER_THE_FACT));
      expect(reviewing.completedActivities).not.toContain('end-closed');
      expect((await flow.release(release.id)).status).toBe('in-progress');
      await flow.finish(review, { followUpActions: 'certificate expiry monitoring added' });

      // The network engineer files the records last (5.3.8); only then does it close.
      const archive = await flow.task(release.id, 'archive-release');
      expect((await flow.release(release.id)).status).toBe('in-progress');
      await flow.finish(archive, { archiveLocation: 'records/emergency' });

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('closed');
      expect(ended.status).toBe('closed');
      const path = await flow.pathTaken(release.instanceId);
      expectClosedPath(path, [...APPROVED, ...INSTALLED, ...VERIFIED]);
      expect(path).not.toContain('notify-escalation');
      expect(flow.offered(release.id)).toEqual([
        APPROVE,
        BUILD,
        INSTALL,
        VERIFY,
        DOCUMENT,
        TEST_REPORT,
        REGISTER,
        REVIEW,
        ARCHIVE,
      ]);
      expect(await flow.jobs(release.instanceId)).toEqual([
        { jobType: 'notify', elementId: 'notify-approval-needed', headers: { template: 'approval-needed' } },
        { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
        { jobType: 'psl.verify', elementId: 'verify-package', headers: {} },
        { jobType: 'notify', elementId: 'notify-distribution', headers: { template: 'released' } },
        { jobType: 'cmdb.sync', elementId: 'update-cmdb', headers: { action: 'install' } },
        { jobType: 'psl.archive', elementId: 'archive-documents', headers: {} },
        { jobType: 'notify', elementId: 'notify-closed', headers: { template: 'closed' } },
      ]);
    });

    it('given an emergency verified in production, when the network engineer registers its version after the fact, then the CMDB items move to that version (not the release number), the record carries it, and what was added since the build is archived with its checksum before it closes', async () => {
      const release: Release = await flow.file('emergency', { configurationItems: ['card-vault-hsm'] });
      const upload = (name: string, content: Buffer) =>
        t
          .as('project-team')
          .post(`/api/releases/${release.id}/artifacts`)
          .attach('file', content, name)
          .expect(201);
      const firmware = randomBytes(4096);
      await upload('hsm-firmware.bin', firmware);
      await flow.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
      await flow.step(release.id, 'build-package', { packageName: 'hsm-firmware.bin' });
      await flow.step(release.id, 'install-release', { installResult: 'success' });
      await flow.step(release.id, 'verify-release', { verificationResult: 'pass' });
      // Built and installed at once: no version was allocated, so the package went in under the release number.
      expect((await flow.release(release.id)).versionNumber).toBeNull();
      const runbook = Buffer.from('# HSM firmware rollback runbook\n');
      await upload('hsm-runbook.md', runbook);

      await flow.closeEmergency(release.id, {
        'register-version': {
          versionNumber: '7.3.1-hotfix.2',
          configurationVerified: true,
          notes: 'firmware and key slots match the record',
        },
        'post-implementation-review': { reviewFindings: 'expired HSM certificate replaced in time' },
      });

      const { release: ended } = await flow.waitForEnd(release.id);
      expect(ended).toMatchObject({ status: 'closed', versionNumber: '7.3.1-hotfix.2' });
      const item = await flow.get(`/api/cmdb/items/card-vault-hsm`);
      expect(item.currentVersion).toBe('7.3.1-hotfix.2');
      expect(item.history).toEqual([
        expect.objectContaining({
          change: 'install',
          version: '7.3.1-hotfix.2',
          release: { id: release.id, number: release.number },
        }),
      ]);
      const files = (await flow.get(`/api/releases/${release.id}/artifacts`)).items;
      expect(files).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'hsm-firmware.bin',
            version: release.number,
            status: 'archived',
            sha256: createHash('sha256').update(firmware).digest('hex'),
          }),
          expect.objectContaining({
            name: 'hsm-runbook.md',
            version: '7.3.1-hotfix.2',
            status: 'archived',
            sha256: createHash('sha256').update(runbook).digest('hex'),
          }),
        ]),
      );
      expect(files).toHaveLength(2);
      const registered = (await flow.history(release.id)).find(
        (event) => event.type === 'task.completed' && event.elementId === 'register-version',
      );
      expect(registered?.actor).toBe('network-engineer');
      // The report of the close shows the version, the CMDB move and the review as the summary.
      const report = await flow.report(release.id);
      expect(report).toContain('| 状态 Status | 已关闭 closed |');
      expect(report).toContain('| 版本号 Version number | 7.3.1-hotfix.2 |');
      expect(report).toMatch(/\| card-vault-hsm \| [^|]+ \| 安装 install \| — \| 7\.3\.1-hotfix\.2 \|/);
      expect(report).toContain('| 评审结论 (findings) | expired HSM certificate replaced in time |');
    });

    it('given an emergency request, when the project manager rejects it, then the applicant is notified, the timer is withdrawn and it ends rejected', async () => {
      const release = await flow.file('emergency');
      await flow.step(release.id, 'approve-emergency', {
        approvalDecision: 'reject',
        justification: 'not an emergency',
      });

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rejected');
      expect(ended.status).toBe('rejected');
      expect(await flow.pathTaken(release.instanceId)).toEqual([
        ...APPROVED,
        'notify-rejected',
        'end-rejected',
      ]);
      expect(flow.offered(release.id)).toEqual([APPROVE]);
      expect(await flow.notifications(release.instanceId)).toEqual(['approval-needed', 'rejected']);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        'notify:notify-approval-needed',
        'notify:notify-rejected',
      ]);
      expect(await timerJobs(t, release.instanceId)).toEqual([
        { element_id: 'escalation-timer', status: 'cancelled' },
      ]);
      expect(await flow.openTasks(release.id)).toEqual([]);
    });

    it('given a failed verification, when the project manager re-executes, then it is rolled back at once, rebuilt, reinstalled, verified and closed', async () => {
      const release = await flow.file('emergency');
      await flow.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
      await flow.step(release.id, 'build-package', { packageName: 'b1' });
      await flow.step(release.id, 'install-release', { installResult: 'success' });
      await flow.step(release.id, 'verify-release', {
        verificationResult: 'fail',
        notes: 'TLS handshake fails',
      });
      await flow.step(release.id, 'record-rollback-cause', {
        rollbackCause: 'wrong certificate chain',
        reExecute: true,
      });
      await flow.step(release.id, 'build-package', { packageName: 'b2' });
      await flow.step(release.id, 'install-release', { installResult: 'success' });
      await flow.step(release.id, 'verify-release', { verificationResult: 'pass' });
      await flow.closeEmergency(release.id);

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('closed');
      expect(ended.status).toBe('closed');
      expectClosedPath(await flow.pathTaken(release.instanceId), [
        ...APPROVED,
        ...INSTALLED,
        ...VERIFIED,
        ...ROLLED_BACK,
        ...INSTALLED,
        ...VERIFIED,
      ]);
      expect(flow.offered(release.id)).toEqual([
        APPROVE,
        BUILD,
        INSTALL,
        VERIFY,
        ROLLBACK_CAUSE,
        BUILD,
        INSTALL,
        VERIFY,
        ...CLOSE_OUT,
      ]);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        'notify:notify-approval-needed',
        ...INSTALL_JOBS,
        'release.rollback:rollback-release',
        ...INSTALL_JOBS,
        ...CLOSE_JOBS,
      ]);
      expect(instance.takenFlows).toEqual(
        expect.arrayContaining([
          'flow-verification-result-to-rollback-release',
          'flow-re-execute-to-build-merge',
        ]),
      );
    });

    it('given a failed installation, when the project manager does not re-execute, then it is rolled back at once, without verification, distribution or CMDB update, and ends rolled-back', async () => {
      const release = await flow.file('emergency');
      await flow.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
      await flow.step(release.id, 'build-package', { packageName: 'b1' });
      await flow.step(release.id, 'install-release', {
        installResult: 'failure',
        failureReason: 'service does not start',
      });
      // Failure rolls back at once: the test team is not asked to verify a failed installation.
      await flow.step(release.id, 'record-rollback-cause', {
        rollbackCause: 'service does not start',
        reExecute: false,
      });

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rolled-back');
      expect(ended.status).toBe('rolled-back');
      const path = await flow.pathTaken(release.instanceId);
      expect(path).toEqual([
        ...APPROVED,
        ...INSTALLED,
        ...ROLLED_BACK,
        'notify-rolled-back',
        'end-rolled-back',
      ]);
      expect(path).not.toContain('verify-release');
      expect(flow.offered(release.id)).toEqual([APPROVE, BUILD, INSTALL, ROLLBACK_CAUSE]);
      expect(await flow.jobs(release.instanceId)).toEqual([
        { jobType: 'notify', elementId: 'notify-approval-needed', headers: { template: 'approval-needed' } },
        { jobType: 'psl.archive', elementId: 'archive-package', headers: {} },
        { jobType: 'psl.verify', elementId: 'verify-package', headers: {} },
        { jobType: 'release.rollback', elementId: 'rollback-release', headers: {} },
        { jobType: 'notify', elementId: 'notify-rolled-back', headers: { template: 'rollback' } },
      ]);
      expect(instance.takenFlows).toContain('flow-install-result-to-rollback-release');
      expect(instance.takenFlows).not.toContain('flow-install-result-to-verify-release');
    });

    // Safe defaults: only an explicit approve / success / pass goes ahead; a decision that is missing or
    // misspelt (the inbox refuses it; forceDecision pushes it past the form) takes the safe branch.

    it('given an emergency approval without a decision, when it reaches the gateway, then it is not built but rejected', async () => {
      const release = await flow.file('emergency');
      await flow.forceDecision(release.id, 'approve-emergency', 'approvalDecision');

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rejected');
      expect(ended.status).toBe('rejected');
      expect(instance.variables).not.toHaveProperty('approvalDecision');
      expect(await flow.pathTaken(release.instanceId)).toEqual([
        ...APPROVED,
        'notify-rejected',
        'end-rejected',
      ]);
      expect(flow.offered(release.id)).toEqual([APPROVE]);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        'notify:notify-approval-needed',
        'notify:notify-rejected',
      ]);
      expect(await timerJobs(t, release.instanceId)).toEqual([
        { element_id: 'escalation-timer', status: 'cancelled' },
      ]);
    });

    it('given a misspelt install result and then a verification without a verdict, when each reaches its gateway, then each rolls back and nothing is distributed', async () => {
      const release = await flow.file('emergency');
      await flow.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
      await flow.step(release.id, 'build-package', { packageName: 'b1' });
      await flow.forceDecision(release.id, 'install-release', 'installResult', 'ok');
      await flow.step(release.id, 'record-rollback-cause', {
        rollbackCause: 'install result unclear',
        reExecute: true,
      });
      await flow.step(release.id, 'build-package', { packageName: 'b2' });
      await flow.step(release.id, 'install-release', { installResult: 'success' });
      await flow.forceDecision(release.id, 'verify-release', 'verificationResult');
      await flow.step(release.id, 'record-rollback-cause', {
        rollbackCause: 'not verified',
        reExecute: false,
      });

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rolled-back');
      expect(ended.status).toBe('rolled-back');
      expect(await flow.pathTaken(release.instanceId)).toEqual([
        ...APPROVED,
        ...INSTALLED,
        ...ROLLED_BACK,
        ...INSTALLED,
        ...VERIFIED,
        ...ROLLED_BACK,
        'notify-rolled-back',
        'end-rolled-back',
      ]);
      expect(flow.offered(release.id)).toEqual([
        APPROVE,
        BUILD,
        INSTALL,
        ROLLBACK_CAUSE,
        BUILD,
        INSTALL,
        VERIFY,
        ROLLBACK_CAUSE,
      ]);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        'notify:notify-approval-needed',
        ...INSTALL_JOBS,
        'release.rollback:rollback-release',
        ...INSTALL_JOBS,
        'release.rollback:rollback-release',
        'notify:notify-rolled-back',
      ]);
    });
  });

  describe('on a clock moved past the escalation timeout', () => {
    const clock = new ManualClock();
    let t: TestApp;
    let flow: ReleaseDriver;

    beforeAll(async () => {
      t = await startTestApp({}, undefined, [], { clock });
      flow = ReleaseDriver.forApp(t, { flowsTaken });
    });
    afterAll(() => t.close());

    it('given an undecided approval, when the escalation timer expires, then the escalation is notified, the approval stays open (non-interrupting), and the release still closes on the service clock', async () => {
      const release = await flow.file('emergency');
      const approval = await flow.task(release.id, 'approve-emergency');
      expect((await flow.instance(release.instanceId)).variables).toMatchObject({
        escalationTimeout: 'PT30M',
      });
      await clock.advance(31 * 60_000, t.resources);

      // The timer is the subject: wait for the escalation it triggers, then for its branch to end.
      const escalation = await flow.waitForJob(release.instanceId, 'notify', { template: 'escalation' });
      expect(escalation.elementId).toBe('notify-escalation');
      await flow.waitForActivity(release.instanceId, 'end-escalated');

      const escalated = await flow.instance(release.instanceId);
      expect(escalated.status).toBe('running');
      expect(escalated.activeActivities).toEqual([
        expect.objectContaining({ elementId: 'approve-emergency', kind: 'user-task' }),
      ]);
      expect(escalated.openTasks.map((task) => task.id)).toEqual([approval.id]);
      const still = await t.as('project-manager').get(`/api/tasks/${approval.id}`).expect(200);
      expect(still.body).toMatchObject({ status: 'open', elementId: 'approve-emergency' });
      expect(
        (await flow.inbox({ candidateGroup: 'project-manager', releaseId: release.id })).map(
          (task) => task.id,
        ),
      ).toEqual([approval.id]);
      expect((await flow.release(release.id)).status).toBe('in-progress');

      await flow.finish(approval, { approvalDecision: 'approve' });
      await flow.step(release.id, 'build-package', { packageName: 'b1' });
      await flow.step(release.id, 'install-release', { installResult: 'success' });
      await flow.step(release.id, 'verify-release', { verificationResult: 'pass' });
      const closing = clock.now();
      await flow.closeEmergency(release.id);

      const { release: ended, instance } = await flow.waitForEnd(release.id);
      // The escalation branch's end event carries no status: the release's own end decides it.
      expect(instance.endStatus).toBe('closed');
      expect(ended.status).toBe('closed');
      // Closed on the service's clock (31 minutes ahead of the system's), as its timers are.
      const closedAt = new Date(ended.closedAt!).getTime();
      expect(closedAt).toBeGreaterThanOrEqual(closing.getTime());
      expect(closedAt).toBeLessThanOrEqual(clock.now().getTime());
      const path = await flow.pathTaken(release.instanceId);
      expect(path.slice(0, 5)).toEqual([
        'start',
        'notify-approval-needed',
        'escalation-timer',
        'notify-escalation',
        'end-escalated',
      ]);
      expectClosedPath(path.slice(5), ['approve-emergency', 'approval-decision', ...INSTALLED, ...VERIFIED]);
      expect(flow.offered(release.id)).toEqual([APPROVE, BUILD, INSTALL, VERIFY, ...CLOSE_OUT]);
      // Escalated once, not once per timeout.
      expect(await flow.notifications(release.instanceId)).toEqual([
        'approval-needed',
        'escalation',
        'released',
        'closed',
      ]);
      expect(await flow.jobsRun(release.instanceId)).toEqual([
        'notify:notify-approval-needed',
        'notify:notify-escalation',
        ...INSTALL_JOBS,
        ...CLOSE_JOBS,
      ]);
      expect(await timerJobs(t, release.instanceId)).toEqual([
        { element_id: 'escalation-timer', status: 'completed' },
      ]);
      expect(
        inOrder(
          instance.history.map((h) => `${h.type}:${h.elementId ?? ''}`),
          [
            'activity.timer:escalation-timer',
            'job.completed:notify-escalation',
            'task.completed:approve-emergency',
          ],
        ),
      ).toBe(true);
    });
  });

  it('the scenarios above walk every sequence flow of emergency-release.bpmn', () => {
    const missing = sequenceFlowsOf('emergency-release').filter((f) => !flowsTaken.has(f));
    expect(missing).toEqual([]);
  });
});
