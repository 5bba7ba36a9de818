import { startTestApp, type TestApp } from '../support/test-app';
import { MINIMAL_REQUEST, ReleaseDriver, type Release } from '../support/release-driver';

/**
 * The release record (release-procedure: release record): numbers REL-<year>-<nnnn> sequential per year and
 * never reused, search over the records, the detail with its history and current step, and cancelling.
 */
describe('releases', () => {
  let t: TestApp;
  let walk: ReleaseDriver;
  const year = new Date().getUTCFullYear();
  const number = (n: number) => `REL-${year}-${String(n).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(() => t.close());

  it('given 50 filings at once, then they get 50 distinct numbers REL-<year>-0001..0050, with no gaps', async () => {
    const filed = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        walk.file(
          'standard',
          { title: `Concurrent filing ${i + 1}` },
          i % 2 ? 'applicant' : 'project-manager',
        ),
      ),
    );
    const numbers = filed.map((r) => r.number).sort();
    expect(new Set(numbers).size).toBe(50);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => number(i + 1)));
    const [counter] = await t.dataSource.query(
      `SELECT last_value FROM release_number_counter WHERE year = $1`,
      [year],
    );
    expect(counter.last_value).toBe(50);
  });

  describe('search', () => {
    /** The seeded releases by name; the 50 concurrent filings above are standard, software, at assess-request. */
    const r: Record<string, Release> = {};
    const names = (items: Release[]) =>
      items.map((item) => Object.keys(r).find((k) => r[k]!.id === item.id) ?? 'concurrent');

    beforeAll(async () => {
      r.R1 = await walk.file('standard', {
        title: 'Billing API 4.2',
        source: 'software',
        scope: 'billing cluster',
        content: 'upgrade the JVM to 21',
        plannedAt: '2026-12-05T20:00:00Z',
      });
      r.R2 = await walk.file('emergency', {
        title: 'Replace core switch',
        source: 'hardware',
        scope: 'datacentre A',
        plannedAt: '2026-12-01T02:00:00Z',
      });
      r.R3 = await walk.file('major', {
        title: 'ERP upgrade',
        source: 'project-info',
        content: 'all modules, billing included',
        plannedAt: '2026-12-10T20:00:00Z',
      });
      r.R4 = await walk.file('standard', {
        title: 'Operations handbook (100% coverage)',
        source: 'document',
      });
      r.R5 = await walk.file('standard', { title: 'Printer firmware', source: 'other' });
      r.R6 = await walk.file('standard', { title: 'Rejected idea', source: 'software' });
      r.R7 = await walk.file('standard', { title: 'Storage expansion', source: 'hardware', scope: 'SAN' });
      await walk.step(r.R6.id, 'assess-request', { assessmentDecision: 'reject' });
      await walk.step(r.R7.id, 'assess-request', { assessmentDecision: 'approve' });
      await walk.task(r.R7.id, 'define-strategy');
      await walk.task(r.R5.id, 'assess-request');
      await t
        .as('project-manager')
        .post(`/api/releases/${r.R5.id}/cancel`)
        .send({ reason: 'printer retired' })
        .expect(200);
      await walk.waitForStatus(r.R6.id, 'rejected');
      // Two of them filed last year, on known days.
      await t.dataSource.query(`UPDATE release SET created_at = '2025-06-15T00:00:00Z' WHERE id = $1`, [
        r.R2.id,
      ]);
      await t.dataSource.query(`UPDATE release SET created_at = '2025-07-01T00:00:00Z' WHERE id = $1`, [
        r.R3.id,
      ]);
    });

    async function search(query: Record<string, string | number>) {
      const res = await t.as('test-team').get('/api/releases').query(query).expect(200);
      return res.body as { items: Release[]; total: number; page: number; pageSize: number };
    }

    it.each([
      ['number', () => ({ number: r.R3!.number }), ['R3']],
      ['number, lower case', () => ({ number: r.R3!.number.toLowerCase() }), ['R3']],
      ['class=emergency', () => ({ class: 'emergency' }), ['R2']],
      ['class=major', () => ({ class: 'major' }), ['R3']],
      ['source=hardware', () => ({ source: 'hardware' }), ['R7', 'R2']],
      ['source=document', () => ({ source: 'document' }), ['R4']],
      ['source=project-info', () => ({ source: 'project-info' }), ['R3']],
      ['status=cancelled', () => ({ status: 'cancelled' }), ['R5']],
      ['status=rejected', () => ({ status: 'rejected' }), ['R6']],
      ['step=define-strategy', () => ({ step: 'define-strategy' }), ['R7']],
      ['step=approve-emergency', () => ({ step: 'approve-emergency' }), ['R2']],
      [
        'from/to (from inclusive, to exclusive)',
        () => ({ from: '2025-06-15T00:00:00Z', to: '2025-07-01T00:00:00Z' }),
        ['R2'],
      ],
      [
        'from/to around both',
        () => ({ from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
        ['R3', 'R2'],
      ],
      [
        'from/to, oldest first',
        () => ({ from: '2025-01-01', to: '2026-01-01', sort: 'createdAt' }),
        ['R2', 'R3'],
      ],
      ['q in the title', () => ({ q: 'switch' }), ['R2']],
      ['q in the scope', () => ({ q: 'datacentre' }), ['R2']],
      ['q in the content, any case', () => ({ q: 'jvm' }), ['R1']],
      ['q in title, scope or content', () => ({ q: 'billing' }), ['R1', 'R3']],
      ['q part of a word', () => ({ q: 'handbo' }), ['R4']],
      ['q with a LIKE wildcard taken literally', () => ({ q: '100%' }), ['R4']],
      ['q and a class', () => ({ q: 'billing', class: 'major' }), ['R3']],
      [
        'plannedAt ascending (unplanned last)',
        () => ({ sort: 'plannedAt', pageSize: 3 }),
        ['R2', 'R1', 'R3'],
      ],
      [
        'plannedAt descending (unplanned last)',
        () => ({ sort: '-plannedAt', pageSize: 3 }),
        ['R3', 'R1', 'R2'],
      ],
    ] as Array<[string, () => Record<string, string | number>, string[]]>)(
      'filter %s',
      async (_name, query, expected) => {
        const page = await search(query());
        expect(names(page.items)).toEqual(expected);
        // A page counts every match, not just the ones on it.
        const everyMatch = await search({ ...query(), pageSize: 200 });
        expect(everyMatch.total).toBe(everyMatch.items.length);
        expect(page.total).toBe(everyMatch.total);
        if (!('pageSize' in query())) expect(page.total).toBe(expected.length);
        else expect(page.total).toBeGreaterThan(expected.length);
      },
    );

    it('status=in-progress and step=assess-request count the 50 concurrent filings too', async () => {
      const running = await search({ status: 'in-progress', pageSize: 200 });
      expect(running.total).toBe(55);
      expect(
        names(running.items)
          .filter((n) => n !== 'concurrent')
          .sort(),
      ).toEqual(['R1', 'R2', 'R3', 'R4', 'R7']);
      const assessing = await search({ step: 'assess-request', pageSize: 200 });
      expect(assessing.total).toBe(53);
      expect(
        names(assessing.items)
          .filter((n) => n !== 'concurrent')
          .sort(),
      ).toEqual(['R1', 'R3', 'R4']);
      expect((await search({ q: 'Concurrent filing' })).total).toBe(50);
    });

    it('pages: {items, total, page, pageSize}, newest number first with sort=-number', async () => {
      // source=software: the 50 concurrent filings, R1 and R6 (numbers 1..50, 51, 56).
      const pages = await Promise.all(
        [1, 2, 3].map((page) => search({ source: 'software', sort: '-number', page, pageSize: 20 })),
      );
      expect(pages.map(({ items, ...rest }) => ({ ...rest, count: items.length }))).toEqual([
        { total: 52, page: 1, pageSize: 20, count: 20 },
        { total: 52, page: 2, pageSize: 20, count: 20 },
        { total: 52, page: 3, pageSize: 20, count: 12 },
      ]);
      const all = pages.flatMap((p) => p.items.map((item) => item.number));
      expect(all).toEqual([
        r.R6!.number,
        r.R1!.number,
        ...Array.from({ length: 50 }, (_, i) => number(50 - i)),
      ]);
      const defaults = await search({});
      expect(defaults).toMatchObject({ total: 57, page: 1, pageSize: 50 });
      expect(defaults.items).toHaveLength(50);
      await t.as('test-team').get('/api/releases?pageSize=0').expect(400);
      await t.as('test-team').get('/api/releases?sort=title').expect(400);
      await t.as('test-team').get('/api/releases?class=urgent').expect(400);
    });

    it('sort=number: oldest number first', async () => {
      const page = await search({ source: 'software', sort: 'number', pageSize: 3 });
      expect(page.items.map((item) => item.number)).toEqual([number(1), number(2), number(3)]);
    });

    it('free text finds a release by its number', async () => {
      expect(names((await search({ q: r.R6!.number })).items)).toEqual(['R6']);
    });
  });

  describe('detail', () => {
    it('given a release at its strategy, then its detail has the record, its current step and open task, found by id or number', async () => {
      const release = await walk.file('standard', {
        title: 'Detail',
        scope: 'one server',
        plannedAt: '2026-12-24T08:00:00Z',
      });
      await walk.step(release.id, 'assess-request', { assessmentDecision: 'approve' });
      await walk.task(release.id, 'define-strategy');
      const byId = await t.as('user-representative').get(`/api/releases/${release.id}`).expect(200);
      expect(byId.body).toMatchObject({
        id: release.id,
        number: release.number,
        releaseClass: 'standard',
        source: 'software',
        title: 'Detail',
        status: 'in-progress',
        createdBy: 'applicant',
        plannedAt: '2026-12-24T08:00:00.000Z',
        request: expect.objectContaining({ title: 'Detail', scope: 'one server' }),
        currentSteps: [expect.objectContaining({ elementId: 'define-strategy', kind: 'user-task' })],
        openTasks: [
          expect.objectContaining({ elementId: 'define-strategy', candidateGroups: ['project-manager'] }),
        ],
        incidents: [],
      });
      const byNumber = await t
        .as('user-representative')
        .get(`/api/releases/${release.number.toLowerCase()}`)
        .expect(200);
      expect(byNumber.body.id).toBe(release.id);

      const history = await t
        .as('user-representative')
        .get(`/api/releases/${release.number}/history`)
        .expect(200);
      expect(history.body[0]).toMatchObject({
        type: 'instance.started',
        actor: 'applicant',
        data: expect.objectContaining({ processKey: 'standard-release' }),
      });
      expect(history.body.filter((h: { type: string }) => h.type === 'task.completed')).toEqual([
        expect.objectContaining({
          elementId: 'assess-request',
          actor: 'project-manager',
          data: expect.objectContaining({
            output: expect.objectContaining({ assessmentDecision: 'approve' }),
          }),
        }),
      ]);
      await t.as('user-representative').get(`/api/releases/REL-1999-0001`).expect(404);
    });
  });

  describe('cancel', () => {
    it('given a running release, when a project manager cancels it with a reason, then it is cancelled, its tasks are withdrawn and the reason is in its history', async () => {
      const release = await walk.file('standard', { title: 'to cancel' });
      await walk.step(release.id, 'assess-request', { assessmentDecision: 'approve' });
      const task = await walk.task(release.id, 'define-strategy');

      const noReason = await t
        .as('project-manager')
        .post(`/api/releases/${release.id}/cancel`)
        .send({})
        .expect(400);
      expect(noReason.body.details.map((d: { field: string }) => d.field)).toContain('reason');

      const res = await t
        .as('project-manager')
        .post(`/api/releases/${release.number}/cancel`)
        .send({ reason: 'superseded by the next release' })
        .expect(200);
      expect(res.body).toMatchObject({ id: release.id, status: 'cancelled', closedAt: expect.any(String) });

      const detail = await walk.release(release.id);
      expect(detail).toMatchObject({ status: 'cancelled', openTasks: [], currentSteps: [] });
      expect(
        (await t.as('project-manager').get('/api/tasks').query({ releaseId: release.id }).expect(200)).body
          .items,
      ).toEqual([]);
      const withdrawn = await t.as('project-manager').get(`/api/tasks/${task.id}`).expect(200);
      expect(withdrawn.body.status).toBe('cancelled');
      const history = await walk.history(release.id);
      expect(history.at(-1)).toMatchObject({
        type: 'instance.cancelled',
        actor: 'project-manager',
        data: { reason: 'superseded by the next release' },
      });

      // A withdrawn task cannot be done, and a release is cancelled once.
      await t.as('project-manager').post(`/api/tasks/${task.id}/complete`).send({ data: {} }).expect(409);
      await t
        .as('project-manager')
        .post(`/api/releases/${release.id}/cancel`)
        .send({ reason: 'again' })
        .expect(409);
      expect((await walk.history(release.id)).length).toBe(history.length);
    });

    it('an ended release cannot be cancelled, and an unknown one is 404', async () => {
      const release = await walk.file('standard');
      await walk.step(release.id, 'assess-request', { assessmentDecision: 'reject' });
      await walk.waitForStatus(release.id, 'rejected');
      await t.as('admin').post(`/api/releases/${release.id}/cancel`).send({ reason: 'late' }).expect(409);
      await t.as('admin').post(`/api/releases/REL-1999-0001/cancel`).send({ reason: 'late' }).expect(404);
      expect((await walk.release(release.id)).status).toBe('rejected');
    });
  });
});
