import { startTestApp, type TestApp } from '../support/test-app';
import { addUsers, taskSnapshot, MINIMAL_REQUEST, ReleaseDriver, type Task } from '../support/release-driver';

/**
 * A claimed task belongs to its assignee: a colleague from the candidate group may not give it back (and then
 * claim and complete it) nor hand it to someone else. Only the assignee, a project manager or an administrator
 * may unclaim it; only a project manager or an administrator may assign it.
 */
describe('who may unclaim or reassign a claimed task', () => {
  let t: TestApp;
  let walk: ReleaseDriver;
  let task: Task;

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    await addUsers(t, [{ username: 'applicant-2', roles: ['applicant'] }]);
    const release = await walk.file('standard', { title: 'claimed rework' });
    await walk.step(release.id, 'assess-request', { assessmentDecision: 'rework' });
    task = await walk.task(release.id, 'rework-request'); // candidate group: applicant
  });
  afterAll(() => t.close());

  const claimAsApplicant = async () => {
    const res = await t.as('applicant').post(`/api/tasks/${task.id}/claim`).expect(200);
    expect(res.body.assignee).toBe('applicant');
  };

  it('given a task claimed by one applicant, a second applicant may neither unclaim nor reassign it (403 with the reason), and nothing changes', async () => {
    await claimAsApplicant();
    const before = await taskSnapshot(t, task.id);

    const unclaim = await t.as('applicant-2').post(`/api/tasks/${task.id}/unclaim`).expect(403);
    expect(unclaim.body).toEqual({
      statusCode: 403,
      error: 'forbidden',
      message: 'only the assignee (applicant), a project manager or an administrator may give this task back',
    });
    const assign = await t
      .as('applicant-2')
      .post(`/api/tasks/${task.id}/assign`)
      .send({ assignee: 'applicant-2' })
      .expect(403);
    expect(assign.body.message).toBe('this needs one of the roles: project-manager, admin');
    const claim = await t.as('applicant-2').post(`/api/tasks/${task.id}/claim`).expect(409);
    expect(claim.body.message).toMatch(/claimed by applicant/);

    expect(await taskSnapshot(t, task.id)).toEqual(before);
  });

  it.each(['applicant', 'project-manager', 'admin'])('%s may give the claimed task back', async (who) => {
    if ((await taskSnapshot(t, task.id)).task.assignee !== 'applicant') await claimAsApplicant();
    const res = await t.as(who).post(`/api/tasks/${task.id}/unclaim`).expect(200);
    expect(res.body).toMatchObject({ assignee: null, claimedAt: null });
  });

  it.each(['project-manager', 'admin'])(
    '%s may reassign the claimed task to another member of the group',
    async (who) => {
      if ((await taskSnapshot(t, task.id)).task.assignee !== 'applicant') await claimAsApplicant();
      const res = await t
        .as(who)
        .post(`/api/tasks/${task.id}/assign`)
        .send({ assignee: 'applicant-2' })
        .expect(200);
      expect(res.body.assignee).toBe('applicant-2');
      await t.as('applicant-2').post(`/api/tasks/${task.id}/unclaim`).expect(200);
    },
  );
});
