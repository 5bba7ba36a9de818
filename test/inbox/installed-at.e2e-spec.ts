import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { MINIMAL_REQUEST, ReleaseDriver, type Release, type Task } from '../support/release-driver';

/**
 * The install time feeds the on-time rate (installed by the planned time): one reported in the future would
 * count as on time whatever happens. On a clock the test controls, such a report is refused with 400 naming
 * `installedAt` and nothing changes; once that time has passed, the same report is taken.
 */
describe('installedAt is not in the future', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let walk: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, [], { clock });
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(() => t.close());

  /** Complete whatever opens before the element's task (with the answers given per element), then return it. */
  async function until(
    release: Release,
    elementId: string,
    answers: Record<string, Record<string, unknown>>,
  ): Promise<Task> {
    return eventually(
      async () => {
        const open = await walk.openTasks(release.id);
        const target = open.find((task) => task.elementId === elementId);
        if (target) return target;
        for (const task of open) await walk.finish(task, answers[task.elementId] ?? {});
        return undefined;
      },
      { timeoutMs: 60_000, what: `${elementId} of ${release.number}` },
    );
  }

  it('given an emergency release at its installation, when the install is reported an hour ahead of the clock, then 400 names installedAt and nothing changes; an hour and a minute later the same report is taken', async () => {
    const release = await walk.file('emergency');
    const install = await until(release, 'install-release', {
      'approve-emergency': { approvalDecision: 'approve' },
    });
    const ahead = new Date(clock.now().getTime() + 3600_000).toISOString();

    const refused = await walk.complete(install, { installResult: 'success', installedAt: ahead });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'installedAt' })]);
    const still = await walk.taskDetail(install.id);
    expect(still.status).toBe('open');
    expect((await walk.release(release.id)).installedAt).toBeNull();
    expect((await walk.instance(release.instanceId)).variables).not.toHaveProperty('installedAt');

    await clock.advance(61 * 60_000, t.resources);
    await walk.finish(install, { installResult: 'success', installedAt: ahead });
    expect((await walk.release(release.id)).installedAt).toBe(ahead);
  });

  it('given no install time reported, when the install succeeds, then the clock gives it', async () => {
    const release = await walk.file('emergency');
    const install = await until(release, 'install-release', {
      'approve-emergency': { approvalDecision: 'approve' },
    });
    const before = clock.now().getTime();
    await walk.finish(install, { installResult: 'success' });
    const installedAt = Date.parse((await walk.release(release.id)).installedAt!);
    expect(installedAt).toBeGreaterThanOrEqual(before);
    expect(installedAt).toBeLessThanOrEqual(clock.now().getTime());
  });
});
