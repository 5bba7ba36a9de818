import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ManualClock } from '../support/manual-clock';
import {
  ReleaseDriver,
  task,
  type HistoryEvent,
  type ReleaseView,
  type Step,
} from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { dropTestResources, newTestResources, POSTGRES_ADMIN_URL } from '../support/test-env';
import { appTransport } from '../support/transport';
import { TEST_ROLES, type Tokens } from '../support/users';

/** A released version whose stored states are kept in fixtures/ (made by make-fixture.sh). */
interface ReleasedVersion {
  readonly commit: string;
  /** The migrations the released version had applied; this code's newer ones must run on top. */
  readonly migrations: readonly string[];
  /** A migration of this code the released version did not have. */
  readonly newerMigration: string;
  /**
   * Whether its flows had the emergency flow's network-engineer steps (`register-version`, `archive-release`) and
   * made the release report at the close rather than in `generate-release-report`: its releases keep the flow
   * versions they were started on.
   */
  readonly currentFlows: boolean;
}

/** The migrations in the order they were written; a released version had applied the first of them. */
const MIGRATIONS = [
  'InitialSchema1795500000000',
  'UsersAndInbox1795550000000',
  'ServiceTaskWork1795600000000',
  'TokenGeneration1795700000000',
  'InboxIndexes1795720000000',
  'OutboxClaim1795800000000',
  'DecisionDefinitions1795810000000',
  'InstanceWaits1795820000000',
  'Messages1795830000000',
  'SignalSubscriptions1795840000000',
  'ExternalJobLeases1795850000000',
  'CalledInstances1795860000000',
  'MessageStarts1795870000000',
  'CamundaKeys1795900000000',
  'TaskListAndEscalation1795930000000',
  'OpenTasksByPriorityDescending1795931000000',
  'FormDefinitions1795939100000',
  'TimerStarts1795950000000',
  'SignalStarts1795951000000',
  'MessageStartKeys1795952000000',
  'OpenOfferedTasksByGroup1795960000000',
  'ElementIncidents1795970000000',
];

/** A released version that had applied the migrations up to `last`; the next one is newer than it. */
function upTo(last: string): Pick<ReleasedVersion, 'migrations' | 'newerMigration'> {
  const count = MIGRATIONS.indexOf(last) + 1;
  if (count === 0) throw new Error(`no migration ${last}`);
  return { migrations: MIGRATIONS.slice(0, count), newerMigration: MIGRATIONS[count]! };
}

const RELEASED_VERSIONS: readonly ReleasedVersion[] = [
  { commit: '67dfd62', ...upTo('ServiceTaskWork1795600000000'), currentFlows: false },
  {
    // Before scoped sub-process variables, timer and signal starts, message starts per key, the report made at
    // the close and the emergency flow's network-engineer steps.
    commit: 'dad034a',
    ...upTo('FormDefinitions1795939100000'),
    currentFlows: false,
  },
  {
    // Before event sub-processes inside sub-processes, several executable processes in one file, incidents at a
    // gateway with no way on and ended instances stored without an engine state.
    commit: '16baca8',
    ...upTo('MessageStartKeys1795952000000'),
    currentFlows: true,
  },
];

/**
 * Running instances outlive code: the states each released version saved (fixtures/released-<commit>.sql, made
 * by make-fixture.sh, see fixtures/README.md) resume and finish on this code. Each dump is PostgreSQL alone:
 * what the released service had on Redis (queued jobs, delayed timer wake-ups) is gone, as after a lost Redis,
 * and must be re-created from PostgreSQL. Both fixtures were filled the same way (fill-released.mjs), so the
 * same releases wait at the same points; each keeps the flow version it was started on.
 */
describe.each(RELEASED_VERSIONS)('stored states of the released version $commit', (version) => {
  const FIXTURE = join(__dirname, 'fixtures', `released-${version.commit}.sql`);
  const RELEASED_MIGRATIONS = version.migrations;
  /** The passwords the fixture's users were given when it was made (fill-released.mjs). */
  const passwordOf = (username: string) =>
    username === 'admin' ? 'fixture-admin-password' : `${username}-fixture-password`;
  const THIRTY_ONE_MINUTES = 31 * 60_000;

  const resources = newTestResources();
  const clock = new ManualClock();
  let t: TestApp;
  let flow: ReleaseDriver;
  /** Release ids by the title that says where the fixture left them. */
  const releases = new Map<string, string>();
  /** Every history event the fixture holds, as stored, by id. */
  let storedHistory: Map<string, unknown>;
  let migrationsBefore: string[];
  let closedAtBoot: { release: ReleaseView; history: HistoryEvent[] };

  async function restoreFixture(): Promise<void> {
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${resources.databaseName}"`);
    } finally {
      await admin.end();
    }
    const db = new Client({ connectionString: resources.databaseUrl });
    await db.connect();
    try {
      await db.query(readFileSync(FIXTURE, 'utf8'));
      await db.query(`SELECT pg_catalog.set_config('search_path', 'public', false)`);
      for (const row of await rows(db, 'SELECT id, title FROM release')) releases.set(row.title, row.id);
      migrationsBefore = (await rows(db, 'SELECT name FROM schema_migrations ORDER BY id')).map(
        (r) => r.name,
      );
      storedHistory = new Map(
        (
          await rows(
            db,
            'SELECT id::text, instance_id, type, element_id, data, created_at FROM history_event',
          )
        ).map((r) => [r.id, r]),
      );
    } finally {
      await db.end();
    }
  }

  async function rows(db: Client | TestApp, sql: string, params: unknown[] = []): Promise<any[]> {
    if (db instanceof Client) return (await db.query(sql, params)).rows;
    return db.dataSource.query(sql, params);
  }

  /** Each user of the released version signs in with the password it was given then. */
  async function signInFixtureUsers(): Promise<Tokens> {
    const tokens: Tokens = {};
    for (const username of TEST_ROLES) {
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ username, password: passwordOf(username) });
      if (res.status !== 200) throw new Error(`${username} cannot sign in: ${res.status} ${res.text}`);
      tokens[username] = res.body.accessToken;
    }
    return tokens;
  }

  async function fixtureRelease(title: string): Promise<ReleaseView> {
    const id = releases.get(title);
    if (!id) throw new Error(`the fixture has no release "${title}"`);
    return flow.release(id);
  }

  /** Walk the steps, then the release must end with `status`, every stored history event unchanged. */
  async function finish(release: ReleaseView, steps: readonly Step[], status: string) {
    await flow.walk(release, steps);
    const ended = await flow.waitForEnd(release.id);
    expect(ended.release.status).toBe(status);
    expect(ended.instance.status).toBe('completed');
    expect(ended.release.openTasks).toEqual([]);
    expect(ended.release.incidents.filter((i) => i.status === 'open')).toEqual([]);
    await expectStoredHistoryKept(release.instanceId);
    return ended;
  }

  /** The instance's history as the fixture stored it is still there, unchanged, before what came after. */
  async function expectStoredHistoryKept(instanceId: string): Promise<void> {
    const stored = [...storedHistory.values()].filter((h: any) => h.instance_id === instanceId);
    expect(stored.length).toBeGreaterThan(0);
    const now = await rows(
      t,
      'SELECT id::text, instance_id, type, element_id, data, created_at FROM history_event WHERE instance_id = $1',
      [instanceId],
    );
    const byId = new Map(now.map((h) => [h.id, h]));
    for (const event of stored) expect(byId.get((event as any).id)).toEqual(event);
    const newest = Math.max(...stored.map((h: any) => new Date(h.created_at).getTime()));
    const added = now.filter((h) => !storedHistory.has(h.id));
    expect(added.length).toBeGreaterThan(0);
    for (const event of added) expect(new Date(event.created_at).getTime()).toBeGreaterThanOrEqual(newest);
  }

  const standardToClose = (): Step[] => [
    task('authorise-deployment', { deploymentDecision: 'approve' }),
    task('install-release', { installResult: 'success' }),
    task('check-configuration', { configurationVerified: true }),
    task('write-release-report', { summary: 'installed as planned' }),
    task('archive-release', { archiveLocation: 'PSL shelf 3' }),
  ];
  const standardFromBuild = (): Step[] => [
    task('build-package', { packageName: 'billing-4.2.0.tar.gz' }),
    task('test-release', { testResult: 'pass' }),
    ...standardToClose(),
  ];
  const majorFromVerification = (): Step[] => [
    task('user-verification', { verificationResult: 'pass' }),
    task('authorise-deployment', { deploymentDecision: 'approve' }),
    task('install-release', { installResult: 'success' }),
    task('check-configuration', { configurationVerified: true }),
    task('write-release-report', { summary: 'done' }),
    task('write-assessment-report', { assessment: 'met all acceptance criteria' }),
    task('archive-release', { archiveLocation: 'PSL shelf 3' }),
  ];
  const emergencyFromApproval = (): Step[] => [
    task('approve-emergency', { approvalDecision: 'approve' }),
    task('build-package', { packageName: 'gateway-cert.tar.gz' }),
    task('install-release', { installResult: 'success' }),
    task('verify-release', { verificationResult: 'pass' }),
    task('write-documentation', { documentation: 'runbook updated' }),
    ...emergencyAfterDocumentation(),
  ];
  /** The emergency steps after the documentation: its flow version decides whether the network engineer has any. */
  const emergencyAfterDocumentation = (): Step[] =>
    version.currentFlows
      ? [
          task('complete-test-report', { testResult: 'pass' }),
          task('register-version', { versionNumber: '2026.11.2-hotfix', configurationVerified: true }),
          task('post-implementation-review', { followUpActions: 'none' }),
          task('archive-release', { archiveLocation: 'records/emergency' }),
        ]
      : [
          task('complete-test-report', { testResult: 'pass' }),
          task('post-implementation-review', { followUpActions: 'none' }),
        ];

  beforeAll(async () => {
    await restoreFixture();
    t = await startTestApp({}, resources, [], { clock });
    flow = new ReleaseDriver(appTransport(t), await signInFixtureUsers(), { app: t });
    const closed = await fixtureRelease('standard: closed');
    closedAtBoot = { release: closed, history: await flow.history(closed.id) };
  });

  afterAll(async () => {
    await t?.stop();
    await dropTestResources(resources);
  });

  it('given the dump of the released version, when the new app boots on it, then its newer migrations ran on top and the stored users sign in with their passwords', async () => {
    expect(migrationsBefore).toEqual(RELEASED_MIGRATIONS);
    const after = (await rows(t, 'SELECT name FROM schema_migrations ORDER BY id')).map((r) => r.name);
    expect(after.slice(0, RELEASED_MIGRATIONS.length)).toEqual(RELEASED_MIGRATIONS);
    expect(after).toContain(version.newerMigration);
    for (const username of TEST_ROLES) {
      const me = await flow.get<{ username: string; roles: string[] }>('/api/me', username);
      expect(me).toMatchObject({ username, roles: [username] });
    }
    expect(releases.size).toBe(14);
  });

  describe('standard releases', () => {
    it('given one waiting at its first task (assess-request), when every step is taken, then it closes', async () => {
      const release = await fixtureRelease('standard: at assess-request');
      await finish(
        release,
        [
          task('assess-request', { assessmentDecision: 'approve' }),
          task('define-strategy', {}),
          task('plan-release', {}),
          task('allocate-version', { versionNumber: '4.3.0' }),
          ...standardFromBuild(),
        ],
        'closed',
      );
      // Started on the released flow version, it keeps it: on the older flows the report is generated before it
      // is written, on the current ones at the close.
      const path = await flow.pathTaken(release.instanceId);
      if (version.currentFlows) expect(path).not.toContain('generate-release-report');
      else expect(path).toContain('generate-release-report');
    });

    it('given one waiting at its last task (archive-release), when it is archived, then it closes', async () => {
      const release = await fixtureRelease('standard: at archive-release');
      await finish(release, [task('archive-release', { archiveLocation: 'PSL shelf 4' })], 'closed');
      expect(await flow.pathTaken(release.instanceId)).toEqual(
        expect.arrayContaining(['archive-release', 'notify-closed', 'end-closed']),
      );
    });

    it('given plan-release claimed by the project manager, when the assignee completes it and the rest, then it closes', async () => {
      const release = await fixtureRelease('standard: plan-release claimed');
      const claimed = await flow.task(release.id, 'plan-release');
      expect(claimed).toMatchObject({ assignee: 'project-manager', status: 'open' });
      const mine = await flow.get<{ items: Array<{ id: string }> }>('/api/tasks', 'project-manager', {
        assignee: 'me',
        releaseId: release.id,
      });
      expect(mine.items.map((open) => open.id)).toEqual([claimed.id]);
      await finish(
        release,
        [
          task('plan-release', {}, 'project-manager'),
          task('allocate-version', { versionNumber: '4.4.0' }),
          ...standardFromBuild(),
        ],
        'closed',
      );
    });

    it('given its rollback job mid-retry (the hook was down, the next attempt an hour away), when the job runs again, then the rollback completes and the release ends rolled back', async () => {
      const release = await fixtureRelease('standard: rollback job retrying');
      const ended = await finish(
        release,
        [task('record-rollback-cause', { rollbackCause: 'smoke test failed', reExecute: false })],
        'rolled-back',
      );
      expect(ended.instance.endStatus).toBe('rolled-back');
      expect(await flow.jobsRun(release.instanceId)).toContain('release.rollback:rollback-release');
    });

    it('given an open incident at archive-package (attempts ran out), when the administrator retries it, then the job runs and the release goes on to closed', async () => {
      const release = await fixtureRelease('standard: incident at archive-package');
      const [incident] = release.incidents.filter((i) => i.status === 'open');
      expect(incident).toMatchObject({ elementId: 'archive-package' });
      // The failed job still holds its step, on the release's page as on the instance's.
      const { activeActivities } = await flow.instance(release.instanceId);
      expect(activeActivities).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ elementId: 'archive-package', kind: 'service-task' }),
        ]),
      );
      expect(release.currentSteps).toEqual(activeActivities);
      const retried = await flow.call('POST', `/api/incidents/${incident!.id}/retry`, undefined, 'admin');
      expect(retried.status).toBe(200);
      await finish(release, [task('test-release', { testResult: 'pass' }), ...standardToClose()], 'closed');
      expect(await flow.jobsRun(release.instanceId)).toContain('psl.archive:archive-package');
    });
  });

  describe('major releases', () => {
    it('given one waiting at review-plan, when every step is taken, then it closes', async () => {
      const release = await fixtureRelease('major: at review-plan');
      await finish(
        release,
        [
          task('review-plan', { planApproved: true }),
          task('allocate-version', { versionNumber: '2026.2' }),
          task('build-package', { packageName: 'erp-2026.2.tar.gz' }),
          task('test-release', { testResult: 'pass' }),
          ...majorFromVerification(),
        ],
        'closed',
      );
    });

    it('given user-verification claimed by the user representative, when the assignee completes it and the rest, then it closes', async () => {
      const release = await fixtureRelease('major: user-verification claimed');
      expect(await flow.task(release.id, 'user-verification')).toMatchObject({
        assignee: 'user-representative',
      });
      await finish(release, majorFromVerification(), 'closed');
    });

    it('given one waiting at write-assessment-report, when it and the archive are done, then it closes', async () => {
      const release = await fixtureRelease('major: at write-assessment-report');
      await finish(
        release,
        [
          task('write-assessment-report', { assessment: 'met all acceptance criteria' }),
          task('archive-release', { archiveLocation: 'PSL shelf 5' }),
        ],
        'closed',
      );
    });

    it('given its archive-package job pending (never run), when the app is up, then the job runs and the release goes on to closed', async () => {
      const release = await fixtureRelease('major: archive-package job pending');
      await finish(
        release,
        [task('test-release', { testResult: 'pass' }), ...majorFromVerification()],
        'closed',
      );
      expect(await flow.jobsRun(release.instanceId)).toEqual(
        expect.arrayContaining(['psl.archive:archive-package', 'cmdb.sync:record-build']),
      );
    });
  });

  describe('emergency releases', () => {
    it('given the approval notice pending (never run), when the app is up, then the notice goes out, the approval opens and the release closes', async () => {
      const release = await fixtureRelease('emergency: approval notice pending');
      await finish(release, emergencyFromApproval(), 'closed');
      expect(await flow.notifications(release.instanceId)).toContain('approval-needed');
      expect(await flow.pathTaken(release.instanceId)).not.toContain('notify-escalation');
    });

    it('given one after the fact (documentation written, test report open), when the rest is done, then it closes', async () => {
      const release = await fixtureRelease('emergency: after the fact');
      await finish(release, emergencyAfterDocumentation(), 'closed');
      // On the older flow versions there is no network-engineer step; it still closes, its report made at the close.
      const path = await flow.pathTaken(release.instanceId);
      if (version.currentFlows)
        expect(path).toEqual(expect.arrayContaining(['register-version', 'archive-release']));
      else expect(path).not.toContain('register-version');
      expect(await flow.report(release.id)).toContain('| 状态 Status | 已关闭 closed |');
    });

    it('given one already escalated with its approval open, when it is approved and carried out, then it closes', async () => {
      const release = await fixtureRelease('emergency: escalated, approval open');
      await finish(release, emergencyFromApproval(), 'closed');
      expect(await flow.pathTaken(release.instanceId)).toEqual(
        expect.arrayContaining(['notify-escalation', 'end-escalated', 'end-closed']),
      );
    });

    it('given its escalation timer armed at approve-emergency, when the clock passes the timeout, then the escalation fires, the approval stays open and the release closes after it', async () => {
      const release = await fixtureRelease('emergency: at approve-emergency, escalation timer armed');
      // Last of the timer scenarios: moving the clock wakes every armed timer, and the approval notice's
      // release above armed its own on this code (then withdrew it when approved).
      await clock.advance(THIRTY_ONE_MINUTES, resources);
      await flow.waitForActivity(release.instanceId, 'end-escalated');
      expect(await flow.notifications(release.instanceId)).toEqual(['approval-needed', 'escalation']);
      expect((await flow.openTasks(release.id)).map((open) => open.elementId)).toEqual(['approve-emergency']);
      await finish(release, emergencyFromApproval(), 'closed');
    });
  });

  it('given the release the released version closed, when the others have run, then it reads the same as at boot and as stored', async () => {
    const closed = await fixtureRelease('standard: closed');
    expect(closed).toEqual(closedAtBoot.release);
    expect(closed.status).toBe('closed');
    expect(await flow.history(closed.id)).toEqual(closedAtBoot.history);
    const stored = [...storedHistory.values()].filter((h: any) => h.instance_id === closed.instanceId);
    expect(closedAtBoot.history).toHaveLength(stored.length);
  });

  it('then no release of the fixture is left in progress', async () => {
    const left = await rows(t, `SELECT title FROM release WHERE status = 'in-progress'`);
    expect(left).toEqual([]);
  });
});
