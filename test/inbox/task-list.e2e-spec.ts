import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { MINIMAL_REQUEST, ReleaseDriver, type Release, type Task } from '../support/release-driver';
import { TestHttpPeer } from '../workers/support/peers';

/** A task as the list shows it: the row, its release and its marks. */
type Row = Task & {
  release?: { id: string; number: string; title: string; class: string; status: string };
  overdue: boolean;
  escalated: boolean;
};

/**
 * The task list (GET /api/tasks) as the team's pages use it: each task carries its release's number, title
 * and class, and its overdue and escalated marks; filters by release, class, process, due time, priority,
 * candidate group and who completed it; sorts; searches release number, title and step name; pages. And the
 * escalation of an emergency approval nobody decided in time: to the escalation group (admin by default),
 * at the highest priority, marked on the task and the release, in the history, and notified to that group.
 */
describe('task list', () => {
  const clock = new ManualClock();
  const chat = new TestHttpPeer();
  let t: TestApp;
  let walk: ReleaseDriver;
  let standard: Release;
  let emergency: Release;
  let major: Release;
  let assess: Task;
  let approve: Task;
  let majorAssess: Task;

  beforeAll(async () => {
    await chat.start();
    // Counted exactly up to 2 matching tasks, so the three open ones show the cap.
    t = await startTestApp(
      { NOTIFY_WEBHOOK_URL: `${chat.url}/generic`, TASK_LIST_TOTAL_CAP: '2' },
      undefined,
      [],
      { clock },
    );
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    standard = await walk.file('standard', { title: 'Billing upgrade 计费升级' });
    emergency = await walk.file('emergency', { title: 'Core switch patch 核心交换机补丁' });
    major = await walk.file('major', { title: 'Portal rebuild 门户重建' });
    assess = await walk.task(standard.id, 'assess-request');
    approve = await walk.task(emergency.id, 'approve-emergency');
    majorAssess = await walk.task(major.id, 'assess-request');
  });
  afterAll(async () => {
    await t.close();
    await chat.stop();
  });

  const list = async (query: Record<string, string | number>, as = 'project-manager') =>
    walk.get<{ items: Row[]; total: number; page: number; pageSize: number }>('/api/tasks', as, query);
  const ids = async (query: Record<string, string | number>, as = 'project-manager') =>
    (await list(query, as)).items.map((row) => row.id);

  it('given open tasks of three releases, then each row carries its release number, title and class, and its marks', async () => {
    const page = await list({ release: standard.number });
    expect(page).toMatchObject({ total: 1, page: 1, pageSize: 50 });
    expect(page.items[0]).toMatchObject({
      id: assess.id,
      elementId: 'assess-request',
      assignee: null,
      release: {
        id: standard.id,
        number: standard.number,
        title: 'Billing upgrade 计费升级',
        class: 'standard',
      },
      overdue: false,
      escalated: false,
      escalatedAt: null,
    });
    expect(page.items[0]!.dueAt).toEqual(expect.any(String));
    const detail = await walk.get<Row>(`/api/tasks/${approve.id}`);
    expect(detail.release).toMatchObject({ number: emergency.number, class: 'emergency' });
  });

  it('filters by release (number in any case, or id), class, process and candidate group', async () => {
    expect(await ids({ release: emergency.number.toLowerCase() })).toEqual([approve.id]);
    expect(await ids({ release: major.id })).toEqual([majorAssess.id]);
    expect(await ids({ release: 'REL-1999-0001' })).toEqual([]);
    expect(await ids({ class: 'emergency' })).toEqual([approve.id]);
    expect(await ids({ processKey: 'major-release' })).toEqual([majorAssess.id]);
    expect((await ids({ candidateGroup: 'project-manager' })).sort()).toEqual(
      [assess.id, approve.id, majorAssess.id].sort(),
    );
    expect(await ids({ candidateGroup: 'test-team' })).toEqual([]);
  });

  it('searches the release number, the title and the step name', async () => {
    expect(await ids({ q: emergency.number.slice(-4) })).toContain(approve.id);
    expect(await ids({ q: 'switch' })).toEqual([approve.id]);
    expect(await ids({ q: '门户' })).toEqual([majorAssess.id]);
    expect(await ids({ q: approve.name!.slice(0, 4), release: emergency.number })).toEqual([approve.id]);
    expect(await ids({ q: '100%_match' })).toEqual([]);
  });

  it('filters by due time and priority, and sorts by them', async () => {
    const rows = (await list({})).items;
    const due = (id: string) => Date.parse(rows.find((row) => row.id === id)!.dueAt!);
    const priority = (id: string) => rows.find((row) => row.id === id)!.priority;
    // An emergency is due within hours and comes first; the others are due in days.
    expect(due(approve.id)).toBeLessThan(due(assess.id));
    expect(priority(approve.id)).toBeGreaterThan(priority(assess.id));
    const between = new Date((due(approve.id) + due(assess.id)) / 2).toISOString();
    expect(await ids({ dueBefore: between })).toEqual([approve.id]);
    expect(await ids({ dueAfter: between })).not.toContain(approve.id);
    expect(await ids({ minPriority: priority(approve.id) })).toEqual([approve.id]);
    expect((await ids({ sort: '-priority' }))[0]).toBe(approve.id);
    expect((await ids({ sort: 'dueAt' }))[0]).toBe(approve.id);
    expect((await ids({ sort: '-dueAt' }))[0]).not.toBe(approve.id);
  });

  it('pages: {items, total, totalCapped, page, pageSize}; past the count cap (2 here) total is the cap and totalCapped true', async () => {
    const all = await ids({ sort: 'createdAt' });
    expect([...all].sort()).toEqual([assess.id, approve.id, majorAssess.id].sort());
    const first = await list({ pageSize: 2, sort: 'createdAt' });
    const second = await list({ pageSize: 2, page: 2, sort: 'createdAt' });
    expect(first).toMatchObject({ total: 2, totalCapped: true, page: 1, pageSize: 2 });
    expect(second).toMatchObject({ total: 2, totalCapped: true, page: 2, pageSize: 2 });
    expect([...first.items, ...second.items].map((row) => row.id)).toEqual(all);
    expect(await list({ class: 'emergency' })).toMatchObject({ total: 1, totalCapped: false });
    expect(await list({ processKey: 'standard-release' })).toMatchObject({ total: 1, totalCapped: false });
  });

  it('refuses bad filters with 400 naming the parameter', async () => {
    for (const [query, field] of [
      [{ minPriority: 101 }, 'minPriority'],
      [{ dueAfter: 'tomorrow' }, 'dueAfter'],
      [{ class: 'urgent' }, 'class'],
      [{ sort: 'title' }, 'sort'],
    ] as const) {
      const res = await walk.request('GET', '/api/tasks', { query, as: 'project-manager' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
  });

  it('given a task the project manager completed, when he lists completedBy=me, then he sees it, and nobody else sees it as theirs', async () => {
    await walk.finish(majorAssess, { assessmentDecision: 'approve' }, 'project-manager');
    const mine = await list({ completedBy: 'me' });
    expect(mine.items.map((row) => [row.id, row.status, row.completedBy])).toEqual([
      [majorAssess.id, 'completed', 'project-manager'],
    ]);
    expect(mine.items[0]!.release).toMatchObject({ number: major.number });
    expect(await ids({ completedBy: 'me' }, 'network-engineer')).toEqual([]);
    expect(await ids({ completedBy: 'project-manager' }, 'test-team')).toEqual([]);
  });

  describe('when the emergency approval is not decided within the escalation timeout', () => {
    let escalated: Row;

    beforeAll(async () => {
      await clock.advance(31 * 60_000, t.resources);
      escalated = await eventually(
        async () => {
          const row = (await list({ release: emergency.number })).items[0];
          return row?.escalated ? row : undefined;
        },
        { what: 'the approval to be escalated' },
      );
    });

    it('then the task goes to the escalation group (admin) at the highest priority and is marked escalated', async () => {
      expect(escalated).toMatchObject({
        id: approve.id,
        status: 'open',
        escalated: true,
        escalatedTo: 'admin',
        priority: 100,
        candidateGroups: ['project-manager', 'admin'],
      });
      expect(Date.parse(escalated.escalatedAt!)).toBeGreaterThanOrEqual(clock.now().getTime() - 60_000);
      expect(await ids({ candidateGroup: 'admin' }, 'admin')).toEqual([approve.id]);
      expect((await ids({ sort: '-priority' }))[0]).toBe(approve.id);
      // The other releases' tasks have no timer: nothing happens to them.
      expect((await list({ release: standard.number })).items[0]).toMatchObject({ escalated: false });
    });

    it('then the release record shows it, and the history records it', async () => {
      const release = await walk.release(emergency.id);
      expect(release.escalatedAt).toBe(escalated.escalatedAt);
      expect((await walk.release(standard.id)).escalatedAt).toBeNull();
      const history = await walk.history(emergency.id);
      expect(history.filter((h) => h.type === 'task.escalated')).toEqual([
        expect.objectContaining({
          elementId: 'approve-emergency',
          data: expect.objectContaining({
            taskId: approve.id,
            escalatedTo: 'admin',
            timer: 'escalation-timer',
            priority: 100,
            previousPriority: approve.priority,
          }),
        }),
      ]);
    });

    it('then the escalation is notified to the escalation group, not to the project managers who let it lapse', async () => {
      const sent = await eventually(
        async () =>
          chat
            .to('/generic')
            .find((r) => r.body.event === 'escalation' && r.body.release?.id === emergency.id),
        { what: 'the escalation notice' },
      );
      expect(sent.body.recipients).toContain('admin');
      expect(sent.body.recipients).not.toContain('project-manager');
    });

    it('then an admin decides it, and the emergency goes on', async () => {
      await walk.finish(approve, { approvalDecision: 'approve' }, 'admin');
      expect((await walk.get<Row>(`/api/tasks/${approve.id}`)).status).toBe('completed');
      await eventually(async () => ((await walk.openTasks(emergency.id)).length > 0 ? true : undefined), {
        what: 'the next step of the emergency',
      });
      const done = (await list({ completedBy: 'me' }, 'admin')).items;
      expect(done.map((row) => [row.id, row.escalated])).toEqual([[approve.id, true]]);
    });

    it('given the clock past the due time of an open task, then the list marks it overdue, and only it', async () => {
      const next = (await walk.openTasks(emergency.id))[0]!;
      expect(next.dueAt).not.toBeNull();
      expect((await list({ release: emergency.number })).items[0]).toMatchObject({ overdue: false });
      await clock.advance(Date.parse(next.dueAt!) - clock.now().getTime() + 60_000, t.resources);
      expect((await list({ release: emergency.number })).items[0]).toMatchObject({
        id: next.id,
        overdue: true,
      });
      expect((await list({ release: standard.number })).items[0]).toMatchObject({ overdue: false });
    });
  });
});
