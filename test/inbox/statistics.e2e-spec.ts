import { startTestApp, type TestApp } from '../support/test-app';
import { MINIMAL_REQUEST, ReleaseDriver, type Release, type ReleaseRequest } from '../support/release-driver';

/**
 * Release statistics (发布信息统计; release-procedure: process measures): releases with known outcomes are
 * driven through the flows, then their times are set to known values, and every measure is checked per
 * month, quarter, year and range, by class and source, in JSON and in CSV.
 */
describe('statistics', () => {
  let t: TestApp;
  let walk: ReleaseDriver;
  const r: Record<string, Release> = {};

  const PLAN = { plannedStart: '2026-12-01T20:00:00Z', plannedEnd: '2026-12-01T22:00:00Z' };
  const pass = { testResult: 'pass' };

  /** assess → strategy → plan → version → build. */
  async function toTest(release: Release): Promise<void> {
    await walk.step(release.id, 'assess-request', { assessmentDecision: 'approve' });
    await walk.step(release.id, 'define-strategy');
    await walk.step(release.id, 'plan-release', PLAN);
    await walk.step(release.id, 'allocate-version', { versionNumber: '1.0.0' });
    await walk.step(release.id, 'build-package');
  }

  async function authoriseAndInstall(release: Release, installResult: 'success' | 'failure'): Promise<void> {
    await walk.step(release.id, 'authorise-deployment', { deploymentDecision: 'approve' });
    await walk.step(release.id, 'install-release', { installResult });
  }

  async function closeStandard(release: Release): Promise<void> {
    await walk.step(release.id, 'check-configuration', { configurationVerified: true });
    await walk.step(release.id, 'write-release-report');
    await walk.step(release.id, 'archive-release');
  }

  /**
   * A, B: closed first time; C: closed after a failed test; D: rolled back; E: emergency closed; F: rejected;
   * G: open at test-release; H: rolled back, re-executed (5.3.6) and closed, filed the year before the others.
   */
  const SCENARIOS: Record<
    string,
    {
      cls: 'standard' | 'emergency';
      source: NonNullable<ReleaseRequest['source']>;
      run: (r: Release) => Promise<void>;
    }
  > = {
    A: {
      cls: 'standard',
      source: 'software',
      run: async (release) => {
        await toTest(release);
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'success');
        await closeStandard(release);
      },
    },
    B: {
      cls: 'standard',
      source: 'hardware',
      run: async (release) => {
        await toTest(release);
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'success');
        await closeStandard(release);
      },
    },
    C: {
      cls: 'standard',
      source: 'software',
      run: async (release) => {
        await toTest(release);
        await walk.step(release.id, 'test-release', {
          testResult: 'fail',
          defects: [{ id: 'BUG-1', severity: 'major', description: 'login times out' }],
        });
        await walk.step(release.id, 'build-package');
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'success');
        await closeStandard(release);
      },
    },
    D: {
      cls: 'standard',
      source: 'hardware',
      run: async (release) => {
        await toTest(release);
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'failure');
        await walk.step(release.id, 'record-rollback-cause', {
          rollbackCause: 'vendor patch withdrawn',
          reExecute: false,
        });
      },
    },
    E: {
      cls: 'emergency',
      source: 'software',
      run: async (release) => {
        await walk.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
        await walk.step(release.id, 'build-package');
        await walk.step(release.id, 'install-release', { installResult: 'success' });
        await walk.step(release.id, 'verify-release', { verificationResult: 'pass' });
        await walk.closeEmergency(release.id, { 'complete-test-report': pass });
      },
    },
    F: {
      cls: 'standard',
      source: 'other',
      run: async (release) => {
        await walk.step(release.id, 'assess-request', { assessmentDecision: 'reject' });
      },
    },
    G: {
      cls: 'standard',
      source: 'software',
      run: async (release) => {
        await toTest(release);
        await walk.task(release.id, 'test-release');
      },
    },
    H: {
      cls: 'standard',
      source: 'software',
      run: async (release) => {
        await toTest(release);
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'failure');
        await walk.step(release.id, 'record-rollback-cause', {
          rollbackCause: 'schema migration timed out',
          reExecute: true,
        });
        await walk.step(release.id, 'build-package');
        await walk.step(release.id, 'test-release', pass);
        await authoriseAndInstall(release, 'success');
        await closeStandard(release);
      },
    },
  };
  const ENDS: Record<string, string> = {
    A: 'closed',
    B: 'closed',
    C: 'closed',
    D: 'rolled-back',
    E: 'closed',
    F: 'rejected',
    G: 'in-progress',
    H: 'closed',
  };

  /** The times the records are set to: lead times 24 h, 48 h, 96 h, (D rolled back), 6 h; A, C on time; B, E late. */
  const TIMES: Record<
    string,
    { created: string; closed: string | null; planned: string | null; installed: string | null }
  > = {
    A: {
      created: '2025-01-10T00:00Z',
      closed: '2025-01-11T00:00Z',
      planned: '2025-01-10T12:00Z',
      installed: '2025-01-10T10:00Z',
    },
    B: {
      created: '2025-02-05T00:00Z',
      closed: '2025-02-07T00:00Z',
      planned: '2025-02-06T00:00Z',
      installed: '2025-02-06T06:00Z',
    },
    C: {
      created: '2025-04-01T00:00Z',
      closed: '2025-04-05T00:00Z',
      planned: '2025-04-04T00:00Z',
      installed: '2025-04-03T00:00Z',
    },
    D: {
      created: '2025-05-20T00:00Z',
      closed: '2025-05-22T00:00Z',
      planned: '2025-05-21T00:00Z',
      installed: null,
    },
    E: {
      created: '2025-05-25T00:00Z',
      closed: '2025-05-25T06:00Z',
      planned: '2025-05-25T01:00Z',
      installed: '2025-05-25T02:00Z',
    },
    F: { created: '2025-06-10T00:00Z', closed: '2025-06-10T05:00Z', planned: null, installed: null },
    G: { created: '2025-12-01T00:00Z', closed: null, planned: '2025-12-20T00:00Z', installed: null },
    H: {
      created: '2024-03-01T00:00Z',
      closed: '2024-03-03T00:00Z',
      planned: '2024-03-02T00:00Z',
      installed: '2024-03-02T12:00Z',
    },
  };

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    await Promise.all(
      Object.entries(SCENARIOS).map(async ([name, scenario]) => {
        const release = await walk.file(scenario.cls, {
          title: `release ${name}`,
          source: scenario.source,
          plannedAt: '2026-12-31T00:00:00Z',
        });
        r[name] = release;
        await scenario.run(release);
        await walk.waitForStatus(release.id, ENDS[name]!);
      }),
    );
    // Eight releases walked through whole flows at once: a minute was missed on a busy machine.
  }, 180_000);
  afterAll(() => t.close());

  it('given the flows, then the records carry their outcome: status, rollback, install and planned time', async () => {
    const rows: Array<{
      title: string;
      status: string;
      rolled_back: boolean;
      installed: boolean;
      planned_at: Date | null;
    }> = await t.dataSource.query(
      `SELECT title, status, rolled_back, installed_at IS NOT NULL AS installed, planned_at FROM release ORDER BY title`,
    );
    expect(rows.map((row) => [row.title, row.status, row.rolled_back, row.installed])).toEqual([
      ['release A', 'closed', false, true],
      ['release B', 'closed', false, true],
      ['release C', 'closed', false, true],
      ['release D', 'rolled-back', true, false],
      ['release E', 'closed', false, true],
      ['release F', 'rejected', false, false],
      ['release G', 'in-progress', false, false],
      ['release H', 'closed', true, true],
    ]);
    // The plan's end is the planned time; without a plan (emergency, rejected), the request's.
    const planned = Object.fromEntries(rows.map((row) => [row.title, row.planned_at?.toISOString()]));
    expect(planned['release A']).toBe('2026-12-01T22:00:00.000Z');
    expect(planned['release E']).toBe('2026-12-31T00:00:00.000Z');
    expect(planned['release F']).toBe('2026-12-31T00:00:00.000Z');
    // Installed now, planned for December: on time.
    const stats = await get({ from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', groupBy: 'year' });
    expect(stats.periods).toEqual([
      expect.objectContaining({
        period: '2026',
        releases: 8,
        ended: 6,
        successRate: 0.8333,
        rollbackRate: 0.3333,
        onTimeRate: 1,
      }),
    ]);
  });

  async function get(query: Record<string, string>) {
    const res = await t.as('project-manager').get('/api/statistics/releases').query(query).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    return res.body as {
      from: string;
      to: string;
      periods: Array<Record<string, unknown>>;
      openByStep: Array<Record<string, unknown>>;
    };
  }

  const COLUMNS = [
    'period',
    'releases',
    'ended',
    'successRate',
    'rollbackRate',
    'emergencyRatio',
    'onTimeRate',
    'meanLeadTimeHours',
    'p90LeadTimeHours',
    'firstPassTestRate',
  ] as const;
  /** A period as a row of the columns above. */
  const row = (...values: Array<string | number | null>) =>
    Object.fromEntries(COLUMNS.map((c, i) => [c, values[i]]));

  const YEAR = '2025-01-01T00:00:00Z';
  const NEXT_YEAR = '2026-01-01T00:00:00Z';

  describe('with known times', () => {
    let ageOfG: number;

    beforeAll(async () => {
      for (const [name, time] of Object.entries(TIMES)) {
        await t.dataSource.query(
          `UPDATE release SET created_at = $2, closed_at = $3, planned_at = $4, installed_at = $5 WHERE id = $1`,
          [r[name]!.id, time.created, time.closed, time.planned, time.installed],
        );
      }
      ageOfG = (Date.now() - Date.parse(TIMES.G!.created)) / 3600_000;
    });

    it('groupBy=month: one row per month with releases', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR, groupBy: 'month' });
      expect(stats).toMatchObject({ from: '2025-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
      expect(stats.periods).toEqual([
        row('2025-01', 1, 1, 1, 0, 0, 1, 24, 24, 1),
        row('2025-02', 1, 1, 1, 0, 0, 0, 48, 48, 1),
        row('2025-04', 1, 1, 1, 0, 0, 1, 96, 96, 0),
        row('2025-05', 2, 2, 0.5, 0.5, 0.5, 0, 6, 6, 1),
        row('2025-06', 1, 0, null, null, 0, null, null, null, null),
        row('2025-12', 1, 0, null, null, 0, null, null, null, null),
      ]);
    });

    it('groupBy=month is the default', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR });
      expect(stats.periods.map((p) => p.period)).toEqual([
        '2025-01',
        '2025-02',
        '2025-04',
        '2025-05',
        '2025-06',
        '2025-12',
      ]);
    });

    it('groupBy=quarter', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR, groupBy: 'quarter' });
      expect(stats.periods).toEqual([
        row('2025-Q1', 2, 2, 1, 0, 0, 0.5, 36, 45.6, 1),
        row('2025-Q2', 4, 3, 0.6667, 0.3333, 0.25, 0.5, 51, 87, 0.6667),
        row('2025-Q4', 1, 0, null, null, 0, null, null, null, null),
      ]);
    });

    const YEAR_2025 = ['2025', 7, 5, 0.8, 0.2, 0.1429, 0.5, 43.5, 81.6, 0.8] as const;

    it('groupBy=year', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR, groupBy: 'year' });
      expect(stats.periods).toEqual([row(...YEAR_2025)]);
    });

    it('groupBy=range: the whole range as one period', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR, groupBy: 'range' });
      expect(stats.periods).toEqual([row('2025-01-01/2026-01-01', ...YEAR_2025.slice(1))]);
      const half = await get({ from: '2025-05-01T00:00:00Z', to: '2025-07-01T00:00:00Z', groupBy: 'range' });
      expect(half.periods).toEqual([row('2025-05-01/2025-07-01', 3, 2, 0.5, 0.5, 0.3333, 0, 6, 6, 1)]);
    });

    it.each([
      ['class=standard', { class: 'standard' }, row('2025', 6, 4, 0.75, 0.25, 0, 0.6667, 56, 86.4, 0.75)],
      ['class=emergency', { class: 'emergency' }, row('2025', 1, 1, 1, 0, 1, 0, 6, 6, 1)],
      ['source=hardware', { source: 'hardware' }, row('2025', 2, 2, 0.5, 0.5, 0, 0, 48, 48, 1)],
      ['source=software', { source: 'software' }, row('2025', 4, 3, 1, 0, 0.25, 0.6667, 42, 81.6, 0.6667)],
      [
        'class=standard and source=other',
        { class: 'standard', source: 'other' },
        row('2025', 1, 0, null, null, 0, null, null, null, null),
      ],
    ] as Array<[string, Record<string, string>, Record<string, unknown>]>)(
      'filter %s',
      async (_name, filter, expected) => {
        const stats = await get({ from: YEAR, to: NEXT_YEAR, groupBy: 'year', ...filter });
        expect(stats.periods).toEqual([expected]);
      },
    );

    it('a filter nothing matches gives no periods', async () => {
      expect((await get({ from: YEAR, to: NEXT_YEAR, class: 'major' })).periods).toEqual([]);
    });

    it('open releases by step and age', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR });
      expect(stats.openByStep).toEqual([
        {
          step: 'test-release',
          name: '发布测试',
          releases: 1,
          averageAgeHours: expect.any(Number),
          oldestAgeHours: expect.any(Number),
        },
      ]);
      expect(Math.abs((stats.openByStep[0]!.averageAgeHours as number) - ageOfG)).toBeLessThan(0.1);
      expect(stats.openByStep[0]!.oldestAgeHours).toBe(stats.openByStep[0]!.averageAgeHours);
      expect((await get({ from: YEAR, to: NEXT_YEAR, class: 'emergency' })).openByStep).toEqual([]);
      expect((await get({ from: YEAR, to: NEXT_YEAR, source: 'software' })).openByStep).toHaveLength(1);
      expect((await get({ from: YEAR, to: NEXT_YEAR, source: 'hardware' })).openByStep).toEqual([]);
    });

    it.each(['month', 'quarter', 'year', 'range'])(
      'the CSV export (Accept: text/csv) has the same numbers, groupBy=%s',
      async (groupBy) => {
        const json = await get({ from: YEAR, to: NEXT_YEAR, groupBy });
        const res = await t
          .as('admin')
          .get('/api/statistics/releases')
          .query({ from: YEAR, to: NEXT_YEAR, groupBy })
          .set('Accept', 'text/csv')
          .expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/csv/);
        expect(res.headers['content-disposition']).toMatch(/attachment; filename="release-statistics\.csv"/);
        const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
        const expected = [
          'period,releases,ended,success_rate,rollback_rate,emergency_ratio,on_time_rate,mean_lead_time_hours,p90_lead_time_hours,first_pass_test_rate',
          ...json.periods.map((p) => COLUMNS.map((c) => cell(p[c])).join(',')),
          '',
          'open_step,name,releases,average_age_hours,oldest_age_hours',
          'test-release,发布测试,1,',
        ];
        const lines = res.text.split('\n');
        expect(lines.slice(0, -2)).toEqual(expected.slice(0, -1));
        expect(lines.at(-2)).toMatch(/^test-release,发布测试,1,\d+(\.\d+)?,\d+(\.\d+)?$/);
        expect(lines.at(-1)).toBe('');
      },
    );

    it('the CSV rows hold the known numbers', async () => {
      const res = await t
        .as('project-manager')
        .get('/api/statistics/releases')
        .query({ from: YEAR, to: NEXT_YEAR, groupBy: 'quarter' })
        .set('Accept', 'text/csv')
        .expect(200);
      expect(res.text.split('\n').slice(1, 4)).toEqual([
        '2025-Q1,2,2,1,0,0,0.5,36,45.6,1',
        '2025-Q2,4,3,0.6667,0.3333,0.25,0.5,51,87,0.6667',
        '2025-Q4,1,0,,,0,,,,',
      ]);
    });

    it('given a release rolled back, re-executed and closed, then it counts as a success and as a rollback', async () => {
      const stats = await get({ from: '2024-01-01T00:00:00Z', to: YEAR, groupBy: 'month' });
      expect(stats.periods).toEqual([row('2024-03', 1, 1, 1, 1, 0, 0, 48, 48, 1)]);
      // Beside D, which ended rolled back: one failure in six ended, two rolled back.
      const both = await get({ from: '2024-01-01T00:00:00Z', to: NEXT_YEAR, groupBy: 'range' });
      expect(both.periods).toEqual([
        expect.objectContaining({ releases: 8, ended: 6, successRate: 0.8333, rollbackRate: 0.3333 }),
      ]);
    });

    it('the response defines each measure it gives', async () => {
      const stats = await get({ from: YEAR, to: NEXT_YEAR });
      const definitions = (stats as unknown as { definitions: Record<string, string> }).definitions;
      expect(Object.keys(definitions).sort()).toEqual(
        [...COLUMNS.filter((c) => c !== 'period'), 'openByStep'].sort(),
      );
      expect(definitions.successRate).toMatch(/re-executed/);
      expect(definitions.rollbackRate).toMatch(/at least once/);
    });

    it('refuses a range that ends before it starts, and unknown groupings', async () => {
      const res = await t
        .as('project-manager')
        .get('/api/statistics/releases')
        .query({ from: NEXT_YEAR, to: YEAR })
        .expect(400);
      expect(res.body.details).toEqual([{ field: 'from', message: 'must be before to' }]);
      await t.as('project-manager').get('/api/statistics/releases').query({ groupBy: 'week' }).expect(400);
      await t.as('project-manager').get('/api/statistics/releases').query({ class: 'urgent' }).expect(400);
    });
  });
});
