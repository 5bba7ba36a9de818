import { sampleFormData } from '../support/form-samples';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import {
  addUsers,
  settle,
  taskSnapshot,
  MINIMAL_REQUEST,
  ReleaseDriver,
  type Release,
  type Task,
} from '../support/release-driver';

/**
 * The task inbox (api: GET /api/tasks, claim, unclaim, assign, complete): who sees which task, the filters,
 * sort and pages, due dates and priorities, claiming and assigning, races, a task's own history, and a full
 * standard release done by the users of each role through their own inboxes.
 */
describe('inbox', () => {
  let t: TestApp;
  let walk: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    await addUsers(t, [
      { username: 'tester-2', roles: ['test-team'] },
      { username: 'pm-2', roles: ['project-manager'] },
    ]);
  });
  afterAll(() => t.close());

  async function inbox(as: string, query: Record<string, string | number> = {}) {
    const res = await t
      .as(as)
      .get('/api/tasks')
      .query({ pageSize: 200, ...query })
      .expect(200);
    return res.body as { items: Task[]; total: number; page: number; pageSize: number };
  }

  /** Poll the user's own inbox until the release's task at the element is there. */
  async function myTask(as: string, releaseId: string, elementId: string): Promise<Task> {
    return eventually(
      async () => (await inbox(as, { releaseId })).items.find((task) => task.elementId === elementId),
      { what: `${elementId} of ${releaseId} in the inbox of ${as}` },
    );
  }

  const HOUR = 3600_000;

  describe('what each user sees, filters, sort and pages', () => {
    /** The seeded open tasks, by name. */
    const seeded: Record<string, Task> = {};
    let releases: Record<string, Release>;
    /** Created and due times the tasks are set to (the class's default due period after creation). */
    const at = (hours: number) => new Date(Date.parse('2026-06-01T08:00:00Z') + hours * HOUR).toISOString();
    const TIMES: Record<string, { created: string; due: string }> = {
      E: { created: at(0), due: at(4) },
      S1: { created: at(1), due: at(1 + 72) },
      S2: { created: at(2), due: at(2 + 72) },
      M: { created: at(3), due: at(3 + 120) },
      W: { created: at(4), due: at(4 + 72) },
      R: { created: at(5), due: at(5 + 72) },
    };
    const names = (items: Task[]) =>
      items.map((task) => Object.keys(seeded).find((k) => seeded[k]!.id === task.id));

    beforeAll(async () => {
      const [E, S1, S2, M, W, R] = await Promise.all([
        walk.file('emergency', { title: 'E' }),
        walk.file('standard', { title: 'S1' }),
        walk.file('standard', { title: 'S2' }),
        walk.file('major', { title: 'M' }),
        walk.file('standard', { title: 'W' }),
        walk.file('standard', { title: 'R' }),
      ]);
      releases = { E: E!, S1: S1!, S2: S2!, M: M!, W: W!, R: R! };
      await Promise.all([
        walk.standardTo(S2!.id, 'allocate-version'),
        walk.standardTo(W!.id, 'test-release'),
        walk.step(R!.id, 'assess-request', { assessmentDecision: 'rework' }),
      ]);
      seeded.E = await walk.task(E!.id, 'approve-emergency');
      seeded.S1 = await walk.task(S1!.id, 'assess-request');
      seeded.S2 = await walk.task(S2!.id, 'allocate-version');
      seeded.M = await walk.task(M!.id, 'assess-request');
      seeded.W = await walk.task(W!.id, 'test-release');
      seeded.R = await walk.task(R!.id, 'rework-request');
    });

    it('given tasks of each class, then emergency tasks are due in 4 h with priority 80, standard in 3 days with 50, major in 5 days with 60', () => {
      const dueAfter = (task: Task) => Date.parse(task.dueAt!) - Date.parse(task.createdAt);
      // The due time is reckoned when the task row is written, its creation time is the transaction's start: a
      // transaction that waited for its instance's lock on a busy machine puts seconds between them. A minute still
      // tells 4 h, 3 days and 5 days apart.
      const close = (ms: number, expected: number) => Math.abs(ms - expected) < 60_000;
      expect(seeded.E).toMatchObject({ priority: 80, processKey: 'emergency-release' });
      expect(close(dueAfter(seeded.E!), 4 * HOUR)).toBe(true);
      for (const name of ['S1', 'S2', 'W', 'R']) {
        expect(seeded[name]).toMatchObject({ priority: 50, processKey: 'standard-release' });
        expect(close(dueAfter(seeded[name]!), 72 * HOUR)).toBe(true);
      }
      expect(seeded.M).toMatchObject({ priority: 60, processKey: 'major-release' });
      expect(close(dueAfter(seeded.M!), 120 * HOUR)).toBe(true);
    });

    describe('with known creation and due times', () => {
      beforeAll(async () => {
        for (const [name, { created, due }] of Object.entries(TIMES)) {
          await t.dataSource.query(`UPDATE user_task SET created_at = $2, due_at = $3 WHERE id = $1`, [
            seeded[name]!.id,
            created,
            due,
          ]);
        }
      });

      it.each([
        ['applicant', ['R']],
        ['network-engineer', ['S2']],
        ['test-team', ['W']],
        ['project-team', []],
        ['user-representative', []],
        ['process-designer', []],
        ['project-manager', ['E', 'S1', 'S2', 'M', 'W', 'R']],
        ['admin', ['E', 'S1', 'S2', 'M', 'W', 'R']],
      ])(
        '%s sees the unassigned tasks of their groups (coordinators see all): %j',
        async (user, expected) => {
          const page = await inbox(user as string);
          expect(names(page.items)).toEqual(expected);
          expect(page.total).toBe((expected as string[]).length);
        },
      );

      it('a user cannot open a task of another group, a member can', async () => {
        await t.as('test-team').get(`/api/tasks/${seeded.S2!.id}`).expect(403);
        await t.as('network-engineer').get(`/api/tasks/${seeded.S2!.id}`).expect(200);
      });

      it.each([
        ['releaseId', () => ({ releaseId: releases.S2!.id }), ['S2']],
        ['class=emergency', () => ({ class: 'emergency' }), ['E']],
        ['class=major', () => ({ class: 'major' }), ['M']],
        ['class=standard', () => ({ class: 'standard' }), ['S1', 'S2', 'W', 'R']],
        ['processKey', () => ({ processKey: 'major-release' }), ['M']],
        ['candidateGroup=project-manager', () => ({ candidateGroup: 'project-manager' }), ['E', 'S1', 'M']],
        ['candidateGroup=test-team', () => ({ candidateGroup: 'test-team' }), ['W']],
        ['candidateGroup=applicant', () => ({ candidateGroup: 'applicant' }), ['R']],
        ['dueBefore (a day)', () => ({ dueBefore: '2026-06-02T00:00:00Z' }), ['E']],
        ['dueBefore (exclusive)', () => ({ dueBefore: TIMES.S2!.due }), ['E', 'S1']],
        [
          'createdFrom (inclusive) and createdTo (exclusive)',
          () => ({ createdFrom: TIMES.S1!.created, createdTo: TIMES.M!.created }),
          ['S1', 'S2'],
        ],
        ['createdFrom alone', () => ({ createdFrom: TIMES.W!.created }), ['W', 'R']],
        [
          'several at once',
          () => ({ class: 'standard', candidateGroup: 'project-manager', dueBefore: '2026-07-01T00:00:00Z' }),
          ['S1'],
        ],
      ] as Array<[string, () => Record<string, string>, string[]]>)(
        'filter %s (as the project manager)',
        async (_name, query, expected) => {
          const page = await inbox('project-manager', query());
          expect(names(page.items)).toEqual(expected);
          expect(page.total).toBe(expected.length);
        },
      );

      it.each([
        ['dueAt', ['E', 'S1', 'S2', 'W', 'R', 'M']],
        ['-dueAt', ['M', 'R', 'W', 'S2', 'S1', 'E']],
        ['-priority', ['E', 'M', 'S1', 'S2', 'W', 'R']],
        ['priority', ['S1', 'S2', 'W', 'R', 'M', 'E']],
        ['createdAt', ['E', 'S1', 'S2', 'M', 'W', 'R']],
      ])('sort=%s', async (sort, expected) => {
        expect(names((await inbox('project-manager', { sort: sort as string })).items)).toEqual(expected);
      });

      it('sort=-createdAt', async () => {
        expect(names((await inbox('project-manager', { sort: '-createdAt' })).items)).toEqual([
          'R',
          'W',
          'M',
          'S2',
          'S1',
          'E',
        ]);
      });

      it('pages: {items, total, page, pageSize}', async () => {
        const pages = await Promise.all(
          [1, 2, 3].map((page) => inbox('project-manager', { sort: 'createdAt', page, pageSize: 4 })),
        );
        expect(pages.map((p) => ({ ...p, items: names(p.items) }))).toEqual([
          { items: ['E', 'S1', 'S2', 'M'], total: 6, totalCapped: false, page: 1, pageSize: 4 },
          { items: ['W', 'R'], total: 6, totalCapped: false, page: 2, pageSize: 4 },
          { items: [], total: 6, totalCapped: false, page: 3, pageSize: 4 },
        ]);
        const defaults = await t.as('project-manager').get('/api/tasks').expect(200);
        expect(defaults.body).toMatchObject({ total: 6, page: 1, pageSize: 50 });
        await t.as('project-manager').get('/api/tasks?pageSize=201').expect(400);
        await t.as('project-manager').get('/api/tasks?sort=name').expect(400);
        await t.as('project-manager').get('/api/tasks?dueBefore=soon').expect(400);
      });

      it('assignee=me: the tasks assigned to me', async () => {
        await t.as('test-team').post(`/api/tasks/${seeded.W!.id}/claim`).expect(200);
        expect(names((await inbox('test-team', { assignee: 'me' })).items)).toEqual(['W']);
        expect(names((await inbox('project-manager', { assignee: 'me' })).items)).toEqual([]);
        expect(names((await inbox('project-manager', { assignee: 'test-team' })).items)).toEqual(['W']);
        // Claimed, it has left the inbox of the other testers.
        expect(names((await inbox('tester-2')).items)).toEqual([]);
        await t.as('test-team').post(`/api/tasks/${seeded.W!.id}/unclaim`).expect(200);
        expect(names((await inbox('tester-2')).items)).toEqual(['W']);
      });
    });
  });

  describe('claim, unclaim and assign', () => {
    let release: Release;
    let task: Task;

    beforeAll(async () => {
      release = await walk.file('standard', { title: 'claims' });
      task = await walk.standardTo(release.id, 'test-release');
    });

    it('given a test task, when a tester claims it, then it is assigned to them and vanishes from a colleague’s inbox', async () => {
      expect((await inbox('tester-2', { releaseId: release.id })).items.map((x) => x.id)).toEqual([task.id]);
      const claimed = await t.as('test-team').post(`/api/tasks/${task.id}/claim`).expect(200);
      expect(claimed.body).toMatchObject({
        id: task.id,
        assignee: 'test-team',
        claimedAt: expect.any(String),
      });
      expect((await inbox('test-team', { releaseId: release.id })).items.map((x) => x.id)).toEqual([task.id]);
      expect((await inbox('tester-2', { releaseId: release.id })).items).toEqual([]);
    });

    it('when a second tester claims it, then 409; completing it is 403; giving it back is only for the assignee', async () => {
      const before = await taskSnapshot(t, task.id);
      const claim = await t.as('tester-2').post(`/api/tasks/${task.id}/claim`).expect(409);
      expect(claim.body.message).toMatch(/claimed by test-team/);
      const complete = await t
        .as('tester-2')
        .post(`/api/tasks/${task.id}/complete`)
        .send({ data: sampleFormData('test-report') })
        .expect(403);
      expect(complete.body.message).toBe('the task is assigned to test-team');
      await t.as('tester-2').post(`/api/tasks/${task.id}/unclaim`).expect(403);
      expect(await taskSnapshot(t, task.id)).toEqual(before);
    });

    it('when the assignee unclaims it, then it is back in every tester’s inbox', async () => {
      const res = await t.as('test-team').post(`/api/tasks/${task.id}/unclaim`).expect(200);
      expect(res.body).toMatchObject({ assignee: null, claimedAt: null });
      expect((await inbox('tester-2', { releaseId: release.id })).items.map((x) => x.id)).toEqual([task.id]);
    });

    it('a project manager assigns it to a member of the candidate group (200), not to anyone else (400)', async () => {
      const assigned = await t
        .as('project-manager')
        .post(`/api/tasks/${task.id}/assign`)
        .send({ assignee: 'tester-2' })
        .expect(200);
      expect(assigned.body).toMatchObject({ assignee: 'tester-2' });
      expect((await inbox('tester-2', { assignee: 'me' })).items.map((x) => x.id)).toEqual([task.id]);
      expect((await inbox('test-team', { releaseId: release.id })).items).toEqual([]);

      const before = await taskSnapshot(t, task.id);
      const outside = await t
        .as('project-manager')
        .post(`/api/tasks/${task.id}/assign`)
        .send({ assignee: 'network-engineer' })
        .expect(400);
      expect(outside.body.details).toEqual([
        { field: 'assignee', message: 'is not in a candidate group of the task' },
      ]);
      const unknown = await t
        .as('project-manager')
        .post(`/api/tasks/${task.id}/assign`)
        .send({ assignee: 'nobody' })
        .expect(400);
      expect(unknown.body.details).toEqual([{ field: 'assignee', message: 'unknown user' }]);
      expect(await taskSnapshot(t, task.id)).toEqual(before);
    });

    it('completing a task assigned to someone else is 403; the assignee completes it', async () => {
      const before = await taskSnapshot(t, task.id);
      const refused = await t
        .as('test-team')
        .post(`/api/tasks/${task.id}/complete`)
        .send({ data: sampleFormData('test-report', { testResult: 'pass' }) })
        .expect(403);
      expect(refused.body.message).toBe('the task is assigned to tester-2');
      expect(await taskSnapshot(t, task.id)).toEqual(before);

      await walk.finish(task, { testResult: 'pass' }, 'tester-2');
      await t.as('tester-2').post(`/api/tasks/${task.id}/claim`).expect(409);
      await t
        .as('project-manager')
        .post(`/api/tasks/${task.id}/assign`)
        .send({ assignee: 'test-team' })
        .expect(409);
    });

    it('GET /api/tasks/:id has the task’s history: claimed, unclaimed, assigned and completed, each with its actor', async () => {
      const res = await t.as('tester-2').get(`/api/tasks/${task.id}`).expect(200);
      expect(res.body).toMatchObject({ status: 'completed', completedBy: 'tester-2', assignee: 'tester-2' });
      expect(res.body.form.id).toBe('test-report');
      const events = (res.body.history as Array<{ type: string; actor: string | null; data: any }>)
        .filter((h) => h.type.startsWith('task.'))
        .map((h) => ({ type: h.type, actor: h.actor, assignee: h.data?.assignee, taskId: h.data?.taskId }));
      expect(events).toEqual([
        { type: 'task.claimed', actor: 'test-team', assignee: 'test-team', taskId: task.id },
        { type: 'task.unclaimed', actor: 'test-team', assignee: null, taskId: task.id },
        { type: 'task.assigned', actor: 'project-manager', assignee: 'tester-2', taskId: task.id },
        { type: 'task.completed', actor: 'tester-2', assignee: undefined, taskId: task.id },
      ]);
      const types = (res.body.history as Array<{ type: string }>).map((h) => h.type);
      expect(types[0]).toBe('activity.start');
      expect(types).toContain('activity.end');
    });
  });

  describe('races', () => {
    it('given an open task, when two project managers claim it at once, then exactly one gets 200 and the other 409', async () => {
      const filed = await Promise.all([1, 2, 3].map(() => walk.file('standard', { title: 'claim race' })));
      for (const release of filed) {
        const task = await walk.task(release.id, 'assess-request');
        const results = await Promise.all(
          ['project-manager', 'pm-2'].map((as) => t.as(as).post(`/api/tasks/${task.id}/claim`)),
        );
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const winner = results.find((r) => r.status === 200)!.body.assignee;
        expect((await taskSnapshot(t, task.id)).task.assignee).toBe(winner);
        const history = (await t.as('project-manager').get(`/api/tasks/${task.id}`).expect(200)).body.history;
        expect(history.filter((h: { type: string }) => h.type === 'task.claimed')).toEqual([
          expect.objectContaining({ actor: winner }),
        ]);
      }
    });

    it('given an open task, when two project managers complete it at once, then one gets 200, the other 409, and it is completed once', async () => {
      const filed = await Promise.all([1, 2, 3].map(() => walk.file('standard', { title: 'complete race' })));
      for (const release of filed) {
        const task = await walk.task(release.id, 'assess-request');
        const results = await Promise.all(
          ['project-manager', 'pm-2'].map((as, i) =>
            t
              .as(as)
              .post(`/api/tasks/${task.id}/complete`)
              .send({ data: sampleFormData('release-assessment', { impactAssessment: `by ${i}` }) }),
          ),
        );
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const winner = ['project-manager', 'pm-2'][results.findIndex((r) => r.status === 200)];
        const history = await walk.history(release.id);
        const completed = history.filter((h) => h.type === 'task.completed');
        expect(completed).toEqual([expect.objectContaining({ elementId: 'assess-request', actor: winner })]);
        await walk.task(release.id, 'define-strategy');
        await settle(t, release.instanceId);
        const open = await inbox('project-manager', { releaseId: release.id });
        expect(open.items.map((x) => x.elementId)).toEqual(['define-strategy']);
      }
    });

    it('given an open task, when one project manager claims it while another completes it, then exactly one of them wins: (200, 403) or (409, 200), never a 500', async () => {
      const filed = await Promise.all(
        Array.from({ length: 6 }, () => walk.file('standard', { title: 'claim vs complete' })),
      );
      const outcomes: string[] = [];
      for (const release of filed) {
        const task = await walk.task(release.id, 'assess-request');
        const [claim, complete] = await Promise.all([
          t.as('pm-2').post(`/api/tasks/${task.id}/claim`),
          t
            .as('project-manager')
            .post(`/api/tasks/${task.id}/complete`)
            .send({ data: sampleFormData('release-assessment', { assessmentDecision: 'reject' }) }),
        ]);
        const outcome = `claim ${claim.status}, complete ${complete.status}`;
        outcomes.push(outcome);
        // The winner's effect and nothing of the loser's.
        const { task: row } = await taskSnapshot(t, task.id);
        const afterwards = { status: row.status, assignee: row.assignee, completedBy: row.completed_by };
        if (outcome === 'claim 200, complete 403')
          expect(afterwards).toEqual({ status: 'open', assignee: 'pm-2', completedBy: null });
        else
          expect(afterwards).toEqual({ status: 'completed', assignee: null, completedBy: 'project-manager' });
      }
      for (const outcome of outcomes)
        expect(['claim 200, complete 403', 'claim 409, complete 200']).toContain(outcome);
    });

    it('given an open task, when it is claimed while its release is cancelled, then neither gets a 500 and the release ends cancelled', async () => {
      const filed = await Promise.all(
        Array.from({ length: 6 }, () => walk.file('standard', { title: 'claim vs cancel' })),
      );
      const statuses: number[] = [];
      for (const release of filed) {
        const task = await walk.task(release.id, 'assess-request');
        const [claim, cancel] = await Promise.all([
          t.as('project-manager').post(`/api/tasks/${task.id}/claim`),
          t.as('admin').post(`/api/releases/${release.id}/cancel`).send({ reason: 'withdrawn' }),
        ]);
        statuses.push(claim.status, cancel.status);
        expect([200, 409]).toContain(claim.status);
        expect(cancel.status).toBe(200);
      }
      expect(statuses).not.toContain(500);
    });
  });

  describe('a full standard release done through the inbox by the users of each role', () => {
    it('given a request from the applicant, when each role takes its steps from its own inbox, then the history names who did each step and the release ends closed with its version and install time', async () => {
      const release = await walk.file('standard', {
        title: 'Billing 4.2 through the inbox',
        plannedAt: '2026-12-01T20:00:00Z',
      });
      expect(release).toMatchObject({ createdBy: 'applicant', status: 'in-progress' });

      const STEPS: Array<[string, string, Record<string, unknown>]> = [
        ['assess-request', 'project-manager', { assessmentDecision: 'approve', impactAssessment: 'none' }],
        ['define-strategy', 'project-manager', { namingRule: 'semver' }],
        [
          'plan-release',
          'project-manager',
          { plannedStart: '2026-12-01T20:00:00Z', plannedEnd: '2026-12-01T22:00:00Z' },
        ],
        ['allocate-version', 'network-engineer', { versionNumber: '4.2.0', baseline: 'BL-4.2' }],
        ['build-package', 'project-team', { packageName: 'billing-4.2.0.tar.gz' }],
        ['test-release', 'test-team', { testResult: 'pass', defects: [] }],
        ['authorise-deployment', 'project-manager', { deploymentDecision: 'approve' }],
        ['install-release', 'project-team', { installResult: 'success' }],
        ['check-configuration', 'network-engineer', { configurationVerified: true }],
        ['write-release-report', 'project-manager', { summary: 'installed as planned' }],
        ['archive-release', 'network-engineer', { archiveLocation: 'PSL shelf 3' }],
      ];
      let installedBetween: [number, number] = [0, 0];
      for (const [elementId, user, data] of STEPS) {
        const task = await myTask(user, release.id, elementId);
        await t.as(user).post(`/api/tasks/${task.id}/claim`).expect(200);
        const opened = await t.as(user).get(`/api/tasks/${task.id}`).expect(200);
        expect(opened.body).toMatchObject({ assignee: user, formKey: task.formKey });
        const before = Date.now();
        await t
          .as(user)
          .post(`/api/tasks/${task.id}/complete`)
          .send({ data: sampleFormData(task.formKey, data) })
          .expect(200);
        if (elementId === 'install-release') installedBetween = [before - 1000, Date.now() + 1000];
      }

      const ended = await walk.waitForStatus(release.id, 'closed');
      expect(ended).toMatchObject({
        status: 'closed',
        versionNumber: '4.2.0',
        createdBy: 'applicant',
        plannedAt: '2026-12-01T22:00:00.000Z',
        closedAt: expect.any(String),
        rolledBack: false,
        openTasks: [],
      });
      const installedAt = Date.parse(ended.installedAt!);
      expect(installedAt).toBeGreaterThanOrEqual(installedBetween[0]);
      expect(installedAt).toBeLessThanOrEqual(installedBetween[1]);

      const history = await walk.history(release.id);
      expect(history[0]).toMatchObject({ type: 'instance.started', actor: 'applicant' });
      expect(
        history
          .filter((h) => h.type === 'task.completed')
          .map((h) => [h.elementId, h.actor, h.data?.formKey]),
      ).toEqual(STEPS.map(([elementId, user]) => [elementId, user, expect.any(String)]));
      expect(history.filter((h) => h.type === 'task.claimed').map((h) => h.actor)).toEqual(
        STEPS.map(([, user]) => user),
      );
      expect(history.at(-1)).toMatchObject({ type: 'instance.completed', data: { endStatus: 'closed' } });
    });
  });
});
