import type { InstanceService } from '../../src/instances/instance.service';
import { EngineScenario } from '../support/engine-scenario';
import { ManualClock } from '../support/manual-clock';
import { eventually } from '../support/test-env';
import { ReleaseDriver, type Release } from '../support/release-driver';

/**
 * Regression: the end status reached on the main path was lost when a side branch (the escalation) ended
 * later, and a rejected emergency release was reported closed.
 *
 * The workers are off here (RUN_WORKERS=false): the test completes jobs and fires the timer itself, so it
 * can hold the escalation notification back while the main path ends.
 */
describe('an end status reached while a side branch still runs', () => {
  let s: EngineScenario;
  let flow: ReleaseDriver;
  let instances: InstanceService;
  const clock = new ManualClock();

  beforeAll(async () => {
    s = await EngineScenario.start({ workers: false, clock });
    flow = ReleaseDriver.forApp(s.t);
    instances = s.instances();
  });
  afterAll(() => s.close());

  const pendingJob = (instanceId: string, elementId: string) =>
    eventually(() => s.pendingJob(instanceId, elementId), { what: `a pending job at ${elementId}` });

  describe('when the escalation notification completes after the rejection', () => {
    let release: Release;

    it('given an escalation whose notification is still pending, when the emergency is rejected and then the notification completes, then the instance ends after end-rejected', async () => {
      release = await flow.file('emergency');
      await instances.completeJob(await pendingJob(release.instanceId, 'notify-approval-needed'));
      const approval = await flow.task(release.id, 'approve-emergency');
      const timer = await pendingJob(release.instanceId, 'escalation-timer');
      // The timer is the subject: woken early it waits on; once the clock passes its expiry it fires.
      expect(await instances.fireTimer(timer)).toBe('early');
      await clock.advance(31 * 60_000, s.resources);
      expect(await instances.fireTimer(timer)).toBe('fired');
      const escalation = await pendingJob(release.instanceId, 'notify-escalation');

      await flow.finish(approval, { approvalDecision: 'reject' });
      await instances.completeJob(await pendingJob(release.instanceId, 'notify-rejected'));
      const rejected = await flow.instance(release.instanceId);
      expect(rejected.completedActivities).toContain('end-rejected');
      expect(rejected.status).toBe('running'); // the escalation branch still holds a token

      await instances.completeJob(escalation);
      const { instance } = await flow.waitForEnd(release.id);
      expect(instance.status).toBe('completed');
      expect((await flow.pathTaken(release.instanceId)).slice(-3)).toEqual([
        'end-rejected',
        'notify-escalation',
        'end-escalated',
      ]);
    });

    it('then the instance and the release still end rejected', async () => {
      const { release: ended, instance } = await flow.waitForEnd(release.id);
      expect(instance.endStatus).toBe('rejected');
      expect(ended.status).toBe('rejected');
    });
  });
});
