import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../support/manual-clock';
import { ReleaseDriver, type InstanceView } from '../../support/release-driver';
import { startTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/test-env';

/**
 * bpmn-engine's and bpmn-elements' own feature scenarios (github.com/paed01, MIT licence), run through this host:
 * each fixture beside this file redraws one upstream scenario for Camunda 8 (zeebe) and FEEL, names the upstream
 * scenario it comes from, and says what was changed for the host. Every step goes through the durable path over
 * HTTP (deploy, create, jobs worked by an external worker, user tasks, messages, signals, a clock moved by hand),
 * and where upstream stops and resumes a run, the service is restarted at the wait. The assertions are upstream's:
 * which activities were taken or not, the end state and the variables. README.md lists the scenarios that do not
 * fit the host, and why.
 */
describe("bpmn-engine's feature scenarios", () => {
  const fixtures = join(__dirname, 'fixtures');
  // The shipped flows are not needed: a folder whose processes run without workers of their own.
  const env = { PROCESSES_DIR: join(__dirname, '..', '..', 'instances', 'fixtures') };
  const clock = new ManualClock();
  const HOUR = 3_600_000;
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp(env, undefined, [], { clock });
    driver = ReleaseDriver.forApp(t);
    // A called process first: its caller is checked against the processes deployed.
    const files = readdirSync(fixtures)
      .filter((f) => f.endsWith('.bpmn'))
      .sort((a, b) => Number(b.includes('child')) - Number(a.includes('child')) || a.localeCompare(b));
    for (const file of files) {
      const deployed = await driver.deploy(readFileSync(join(fixtures, file)));
      if (deployed.status !== 201)
        throw new Error(`deploying ${file}: ${deployed.status} ${JSON.stringify(deployed.body)}`);
    }
  });
  afterAll(() => t.close());

  /** Stop the service at a wait and start it again on the same database (upstream's stop, recover, resume). */
  const restart = async () => {
    await t.stop();
    t = await startTestApp(env, t.resources, [], { clock });
    driver = ReleaseDriver.forApp(t);
  };

  const start = async (processId: string, variables: Record<string, unknown> = {}) => {
    const res = await driver.call(
      'POST',
      '/api/process-instances',
      { processId, variables },
      'process-designer',
    );
    if (res.status !== 201) throw new Error(`start ${processId}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as InstanceView).id;
  };
  const view = (id: string) => driver.instance(id);
  const ended = (id: string) =>
    eventually(
      async () => {
        const now = await view(id);
        return now.status !== 'running' ? now : undefined;
      },
      { what: `instance ${id} to end` },
    );
  /** How many times each element ended (history `activity.end`), as upstream's `counters.taken`. */
  const taken = async (id: string) => {
    const counts: Record<string, number> = {};
    for (const elementId of await driver.pathTaken(id)) counts[elementId] = (counts[elementId] ?? 0) + 1;
    return counts;
  };
  const waitingAt = async (id: string) => (await view(id)).activeActivities.map((a) => a.elementId).sort();

  /** An external job worker takes the jobs of `type` (as many as are expected) and reports each. */
  const activate = async (type: string, count = 1) => {
    const jobs: Array<{ key: string; elementId: string; variables: Record<string, any> }> = [];
    await eventually(
      async () => {
        const res = await driver.call(
          'POST',
          '/api/jobs/activate',
          { type, worker: 'bpmn-engine-features', timeoutMs: 60_000, maxJobs: count - jobs.length },
          'process-designer',
        );
        if (res.status !== 200)
          throw new Error(`activate ${type}: ${res.status} ${JSON.stringify(res.body)}`);
        jobs.push(...res.body.jobs);
        return jobs.length >= count;
      },
      { what: `${count} job(s) of type ${type}` },
    );
    return jobs;
  };
  const completeJob = async (key: string, variables: Record<string, unknown> = {}) => {
    const res = await driver.call('POST', `/api/jobs/${key}/complete`, { variables }, 'process-designer');
    if (res.status !== 204) throw new Error(`complete job ${key}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const throwError = async (key: string, errorCode: string, errorMessage: string) => {
    const res = await driver.call(
      'POST',
      `/api/jobs/${key}/error`,
      { errorCode, errorMessage },
      'process-designer',
    );
    if (res.status !== 200) throw new Error(`error on job ${key}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.outcome as string;
  };

  /** Complete the open user task of the element with `data`, as the project manager. */
  const completeTask = async (id: string, elementId: string, data: Record<string, unknown> = {}) => {
    const task = await eventually(
      async () => (await view(id)).openTasks.find((x) => x.elementId === elementId),
      {
        what: `task ${elementId} of ${id}`,
      },
    );
    const res = await driver.request('POST', `/api/tasks/${task.id}/complete`, {
      body: { data },
      as: 'project-manager',
    });
    if (res.status !== 200)
      throw new Error(`complete ${elementId}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const publish = async (name: string, correlationKey: string, variables: Record<string, unknown> = {}) => {
    const res = await driver.call(
      'POST',
      '/api/messages/publish',
      { name, correlationKey, variables, timeToLive: 0 },
      'project-manager',
    );
    if (res.status >= 300) throw new Error(`publish ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const broadcast = async (name: string, variables: Record<string, unknown> = {}) => {
    const res = await driver.call('POST', '/api/signals/broadcast', { name, variables }, 'project-manager');
    if (res.status !== 200) throw new Error(`broadcast ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { triggered: Array<{ instanceId: string; elementId: string }>; started?: unknown[] };
  };
  const pendingTimers = async (id: string) =>
    (
      await t.dataSource.query<Array<{ element_id: string }>>(
        `SELECT element_id FROM job WHERE instance_id = $1 AND kind = 'timer' AND status = 'pending' ORDER BY element_id`,
        [id],
      )
    ).map((r) => r.element_id);

  describe('sub-process (bpmn-elements sub-process-feature)', () => {
    it.each([
      ['parallel', 'bef-mi-sub-parallel'],
      ['sequential', 'bef-mi-sub-sequential'],
    ])(
      'given a sub-process with %s loop characteristics over a collection, when each item is handled, then the sub-process ran once per item and the outputs are gathered in order',
      async (_kind, processId) => {
        const list = [{ idx: 0 }, { idx: 1 }, { idx: 2 }];
        const id = await start(processId, { list });
        const seen: number[] = [];
        if (processId.endsWith('parallel')) {
          const jobs = await activate('bef.item', 3);
          for (const job of [...jobs].reverse()) {
            seen.push(job.variables.item.idx);
            await completeJob(job.key, { result: `item ${job.variables.item.idx}` });
          }
        } else {
          for (let i = 0; i < list.length; i++) {
            const [job] = await activate('bef.item');
            seen.push(job!.variables.item.idx);
            await completeJob(job!.key, { result: `item ${job!.variables.item.idx}` });
          }
        }

        const done = await ended(id);
        expect(done.status).toBe('completed');
        expect(done.variables.iterated).toEqual(['item 0', 'item 1', 'item 2']);
        expect([...seen].sort()).toEqual([0, 1, 2]);
        if (processId.endsWith('sequential')) expect(seen).toEqual([0, 1, 2]);
        expect((await taken(id)).task).toBe(3);
        expect((await taken(id)).end).toBe(1);
      },
    );

    it('given the looped sub-process, when it runs over an empty collection, then it completes at once with no iteration', async () => {
      const id = await start('bef-mi-sub-parallel', { list: [] });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables.iterated).toEqual([]);
      expect((await taken(id)).task).toBeUndefined();
    });
  });

  describe('errors (bpmn-elements errors-feature)', () => {
    it('given a service task with an error boundary event for code 404, when the service fails with 404, then the task is left, the error is caught and the process completes', async () => {
      const id = await start('bef-error-code');
      const [job] = await activate('bef.get');

      await throwError(job!.key, '404', 'Not found');

      const done = await ended(id);
      expect(done.status).toBe('completed');
      const counts = await taken(id);
      expect(counts.service).toBeUndefined();
      expect(counts.catchError).toBe(1);
      expect(counts.caught).toBe(1);
      expect(counts.end).toBeUndefined();
    });

    it('given the same process, when the service fails with an unknown code 401, then nothing catches it and the run stops at an incident naming the code', async () => {
      const id = await start('bef-error-code');
      const [job] = await activate('bef.get');

      await throwError(job!.key, '401', 'Unauthorized');

      const stopped = await eventually(
        async () => {
          const now = await view(id);
          return now.incidents.length > 0 ? now : undefined;
        },
        { what: 'an incident' },
      );
      expect(stopped.status).toBe('running');
      expect(JSON.stringify(stopped.incidents[0])).toContain('401');
      expect((await taken(id)).catchError).toBeUndefined();
    });

    it('given the same process, when the service restarts while the job waits and the service then fails with 404, then the error is still caught', async () => {
      const id = await start('bef-error-code');
      await activate('bef.get');
      await restart();
      // The job was leased before the stop: the lease is the worker's, so it reports under its name.
      const [job] = await t.dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM job WHERE instance_id = $1 AND element_id = 'service'`,
        [id],
      );

      await throwError(job!.id, '404', 'Not found');

      expect((await ended(id)).status).toBe('completed');
      expect((await taken(id)).catchError).toBe(1);
    });

    it('given a sub-process ending in an error end event and two boundary events, when it runs, then the first boundary event catches the error and the second is not taken', async () => {
      const id = await start('bef-sub-error-known');

      const done = await ended(id);
      expect(done.status).toBe('completed');
      const counts = await taken(id);
      expect(counts.catch0).toBe(1);
      expect(counts.caught0).toBe(1);
      expect(counts.catch1).toBeUndefined();
      expect(counts.errorSubProcess).toBeUndefined();
      expect(counts.end).toBeUndefined();
    });

    it('given a sub-process ending in an error end event and a boundary event naming no error, when it runs, then the boundary event catches it', async () => {
      const id = await start('bef-sub-error-anonymous');

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.catch).toBe(1);
      expect(counts.errorSubProcess).toBeUndefined();
    });

    it('given an error end event in a sub-process and an error event sub-process, when it runs, then the event sub-process handles the error', async () => {
      const id = await start('bef-error-event-sub');

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.releasePain).toBe(1);
      expect(counts.handled).toBe(1);
      expect(counts.end).toBeUndefined();
    });
  });

  describe('escalation (bpmn-elements escalation-feature)', () => {
    it('given a sub-process that escalates an amount above the threshold, when 11 is ordered across a restart, then the escalation is caught, the signal is sent and the run completes', async () => {
      const id = await start('bef-escalation');
      await eventually(async () => (await waitingAt(id)).includes('order'), { what: 'the order task' });
      await restart();

      await completeTask(id, 'order', { amount: 11 });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      const counts = await taken(id);
      expect(counts.escalate).toBe(1);
      expect(counts.escalated).toBe(1);
      expect(counts.signal).toBe(1);
      expect(counts.orderProcess).toBe(1);
      const sent = await t.dataSource.query<Array<{ job_type: string; headers: Record<string, string> }>>(
        `SELECT job_type, headers FROM job WHERE instance_id = $1 AND element_id = 'signal'`,
        [id],
      );
      expect(sent).toEqual([{ job_type: 'signal.broadcast', headers: { signalName: 'Too big signal' } }]);
    });

    it('given the same process, when an amount below the threshold is ordered, then nothing is escalated', async () => {
      const id = await start('bef-escalation');

      await completeTask(id, 'order', { amount: 5 });

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.escalate).toBeUndefined();
      expect(counts.escalated).toBeUndefined();
      expect(counts.ordered).toBe(1);
    });

    it('given an escalation that no boundary event listens for, when it is thrown, then it passes on and the boss is left sleeping', async () => {
      const id = await start('bef-escalation-uncaught');

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.notifyManager).toBe(1);
      expect(counts.escalateSubProcess).toBe(1);
      expect(counts.wakeBoss).toBeUndefined();
    });

    it('given a non-interrupting escalation start event, when the escalation is thrown, then the manager is woken and the process goes on', async () => {
      const id = await start('bef-escalation-start');

      await eventually(async () => (await taken(id)).managerDone === 1, { what: 'the manager to be woken' });
      expect(await waitingAt(id)).toEqual(['carryOn']);
      await completeTask(id, 'carryOn');

      expect((await ended(id)).status).toBe('completed');
      expect((await taken(id)).wakeManager).toBe(1);
    });
  });

  describe('event-based gateway (bpmn-elements EventBasedGateway-feature)', () => {
    it('given a gateway waiting for a timer and a signal, when the signal comes, then the timer is discarded and the process completes', async () => {
      const id = await start('bef-event-based-gateway');
      await eventually(async () => (await pendingTimers(id)).includes('timeout'), { what: 'the timer' });
      // The gateway waits with both its events (bpmn-engine shows it active beside them).
      expect(await waitingAt(id)).toEqual(expect.arrayContaining(['signalled', 'timeout']));

      await broadcast('bef-go');

      expect((await ended(id)).status).toBe('completed');
      expect(await pendingTimers(id)).toEqual([]);
      const counts = await taken(id);
      expect(counts.signalled).toBe(1);
      expect(counts.timeout).toBeUndefined();
    });

    it('given the gateway waiting, when the service restarts, then the signal event still waits and the timer is armed again; the signal then completes the process', async () => {
      const id = await start('bef-event-based-gateway');
      await eventually(async () => (await pendingTimers(id)).includes('timeout'), { what: 'the timer' });

      await restart();

      expect(await waitingAt(id)).toEqual(expect.arrayContaining(['signalled', 'timeout']));
      expect(await pendingTimers(id)).toEqual(['timeout']);
      await broadcast('bef-go');
      expect((await ended(id)).status).toBe('completed');
      expect((await taken(id))['end-signal']).toBe(1);
      expect(await pendingTimers(id)).toEqual([]);
    });

    it('given the gateway waiting, when the timer expires first, then the signal subscription is withdrawn and a broadcast finds nobody', async () => {
      const id = await start('bef-event-based-gateway');
      await eventually(async () => (await pendingTimers(id)).includes('timeout'), { what: 'the timer' });

      await clock.advance(HOUR + 1_000, t.resources);

      expect((await ended(id)).status).toBe('completed');
      expect((await taken(id))['end-timeout']).toBe(1);
      const after = await broadcast('bef-go');
      expect(after.triggered.filter((x) => x.instanceId === id)).toEqual([]);
    });
  });

  describe('link events (bpmn-elements linking-feature)', () => {
    it('given a flow ending in a link throw and another starting from its catch, when it runs, then both tasks ran in order and the process completes at once', async () => {
      const id = await start('bef-link', { condition: true, log: [] });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables.log).toEqual(['task1', 'task2']);
      const counts = await taken(id);
      expect(counts.throw).toBe(1);
      expect(counts.catch).toBe(1);
      expect(counts.end2).toBe(1);
    });

    it('given the link behind a decision, when the decision discards it, then neither the throw nor the catch is taken', async () => {
      const id = await start('bef-link', { condition: false, log: [] });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables.log).toEqual([]);
      const counts = await taken(id);
      expect(counts.throw).toBeUndefined();
      expect(counts.catch).toBeUndefined();
      expect(counts.end1).toBe(1);
    });

    it('given a user deciding on the link, when the service restarts at the decision and the user takes it, then the throw and the catch are taken', async () => {
      const id = await start('bef-link-resume');
      await eventually(async () => (await waitingAt(id)).includes('decide'), { what: 'the decision' });
      await restart();

      await completeTask(id, 'decide', { condition: true });

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.throw).toBe(1);
      expect(counts.catch).toBe(1);
      expect(counts.task2).toBe(1);
    });
  });

  describe('inclusive gateway (bpmn-elements inclusive-gateway-feature)', () => {
    it('given an inclusive split into three branches, one of them a slow job, when two are taken and the service restarts while the slow one runs, then the join fires once with both and takes its default flow', async () => {
      const id = await start('bef-inclusive-join', { takeA: true, takeB: true, takeC: false });
      const [job] = await activate('bef.slow');
      expect((await taken(id)).taskA).toBe(1);
      expect((await taken(id)).join).toBeUndefined();
      await restart();

      await completeJob(job!.key);

      const done = await ended(id);
      expect(done.status).toBe('completed');
      const counts = await taken(id);
      expect(counts.join).toBe(1);
      expect(counts.taskC).toBeUndefined();
      expect(counts.end).toBe(1);
      expect(counts['end-conditional']).toBeUndefined();
      expect(done.takenFlows).toEqual(expect.arrayContaining(['from-taskA', 'from-taskB']));
      expect(done.takenFlows).not.toContain('from-taskC');
    });

    it('given the same process, when the join condition holds, then the join fires once and takes the conditional flow only', async () => {
      const id = await start('bef-inclusive-join', {
        takeA: true,
        takeB: true,
        takeC: false,
        takeConditional: true,
      });
      const [job] = await activate('bef.slow');
      await completeJob(job!.key);

      expect((await ended(id)).status).toBe('completed');
      const counts = await taken(id);
      expect(counts.join).toBe(1);
      expect(counts['end-conditional']).toBe(1);
      expect(counts.end).toBeUndefined();
    });

    // Upstream the definition errors at the join. Camunda 8 creates the instance and raises an incident at the
    // gateway; with the variables fixed and the incident resolved, the gateway is evaluated again.
    it('given an inclusive join whose only outbound flow is conditional, when the condition does not hold, then the instance stops at an incident on the join after both branches, across a restart; fixed and resolved, it goes on', async () => {
      const id = await start('bef-inclusive-no-outbound', { takeEnd: false });

      const stopped = await view(id);
      expect(stopped.status).toBe('running');
      expect(stopped.activeActivities.map((a) => [a.elementId, a.kind])).toEqual([['join', 'incident']]);
      expect(stopped.incidents).toEqual([
        expect.objectContaining({
          elementId: 'join',
          jobId: null,
          status: 'open',
          error: expect.stringContaining('no outgoing sequence flow has a condition that is true'),
        }),
      ]);
      expect(await taken(id)).toMatchObject({ taskA: 1, taskB: 1 });
      expect((await taken(id)).join).toBeUndefined();
      await restart();

      const fixed = await driver.call(
        'PATCH',
        `/api/process-instances/${id}/variables`,
        { variables: { takeEnd: true } },
        'process-designer',
      );
      expect(fixed.status).toBe(200);
      const resolved = await driver.call(
        'POST',
        `/api/incidents/${stopped.incidents[0]!.id}/resolve`,
        { comment: 'takeEnd set' },
        'admin',
      );
      expect(resolved.status).toBe(200);

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(await taken(id)).toMatchObject({ taskA: 1, taskB: 1, join: 1, end: 1 });
      expect(done.incidents).toEqual([
        expect.objectContaining({ status: 'resolved', comment: 'takeEnd set' }),
      ]);
    });

    it('given an inclusive join whose only outbound flow is conditional, when the condition holds, then the join fires once after both', async () => {
      const id = await start('bef-inclusive-no-outbound', { takeEnd: true });
      expect((await ended(id)).status).toBe('completed');
      expect(await taken(id)).toMatchObject({ taskA: 1, taskB: 1, join: 1, end: 1 });
    });

    it.each([
      ['only the unconditional flows', {}, ['Activity_1', 'Activity_3']],
      ['the delayed 2', { take2: true }, ['Activity_1', 'Activity_2', 'Activity_3']],
      [
        'every branch',
        { take2: true, take4: true },
        ['Activity_1', 'Activity_2', 'Activity_3', 'Activity_4'],
      ],
    ])(
      'given icicles hanging from a row of inclusive gateways, when taking %s, then each gateway fires once in order and each taken branch reaches its own end',
      async (_kind, variables: Record<string, boolean>, expected) => {
        const id = await start('bef-inclusive-icicles', { take2: false, take4: false, ...variables });
        const delayed = expected.filter((x) => x === 'Activity_2' || x === 'Activity_4');
        if (delayed.length > 0) {
          // Every taken delayed task is started before any of them is reported.
          const jobs = await activate('bef.delay', delayed.length);
          expect(jobs.map((j) => j.elementId).sort()).toEqual(delayed);
          for (const job of jobs) await completeJob(job.key);
        }

        expect((await ended(id)).status).toBe('completed');
        const counts = await taken(id);
        for (const gateway of ['Gateway_1', 'Gateway_2', 'Gateway_3']) expect(counts[gateway]).toBe(1);
        const path = await driver.pathTaken(id);
        expect(path.indexOf('Gateway_1')).toBeLessThan(path.indexOf('Gateway_2'));
        expect(path.indexOf('Gateway_2')).toBeLessThan(path.indexOf('Gateway_3'));
        for (const n of [1, 2, 3, 4]) {
          const ran = expected.includes(`Activity_${n}`) ? 1 : undefined;
          expect([n, counts[`Activity_${n}`], counts[`Event_End${n}`]]).toEqual([n, ran, ran]);
        }
      },
    );
  });

  describe('timers (bpmn-engine timers-feature)', () => {
    it('given an intermediate timer and a user task with a timer boundary event, when the clock passes both across a restart, then the catch completes, the task is interrupted and the timed-out end is reached', async () => {
      const id = await start('bef-timers', { duration: 'PT10M' });
      await eventually(async () => (await pendingTimers(id)).includes('catch-duration'), {
        what: 'the intermediate timer',
      });

      await clock.advance(10 * 60_000 + 1_000, t.resources);
      await eventually(async () => (await waitingAt(id)).includes('user-due'), { what: 'the user task' });
      expect(await pendingTimers(id)).toEqual(['bound-duration']);
      await restart();
      await clock.advance(HOUR + 1_000, t.resources);

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.openTasks).toEqual([]);
      const counts = await taken(id);
      expect(counts['catch-duration']).toBe(1);
      expect(counts['bound-duration']).toBe(1);
      expect(counts['timed-out']).toBe(1);
      expect(counts['user-due']).toBeUndefined();
    });

    it('given the user task with its timer boundary event, when the task is completed in time, then the timer is withdrawn', async () => {
      const id = await start('bef-timers', { duration: 'PT1S' });
      await eventually(async () => (await pendingTimers(id)).includes('catch-duration'), {
        what: 'the intermediate timer',
      });
      await clock.advance(2_000, t.resources);

      await completeTask(id, 'user-due');

      expect((await ended(id)).status).toBe('completed');
      expect(await pendingTimers(id)).toEqual([]);
      expect((await taken(id))['bound-duration']).toBeUndefined();
    });
  });

  describe('messaging (bpmn-elements messaging-feature)', () => {
    it('given a message catch event waiting for its order, when the message comes across a restart, then its variables arrive and a message boundary event on the next task interrupts it', async () => {
      const id = await start('bef-messaging', { orderId: 'ORD-1' });
      await eventually(async () => (await waitingAt(id)).includes('waitForMessage'), {
        what: 'the message wait',
      });
      await restart();

      await publish('bef-order', 'ORD-2', { wrong: true }); // another order's message does not reach it
      await publish('bef-order', 'ORD-1', { amount: 42 });
      await eventually(async () => (await waitingAt(id)).includes('approve'), { what: 'the approval' });
      await publish('bef-cancel', 'ORD-1', { reason: '客户取消 (cancelled by the customer)' });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables).toMatchObject({ amount: 42, reason: '客户取消 (cancelled by the customer)' });
      expect(done.variables.wrong).toBeUndefined();
      expect(done.openTasks).toEqual([]);
      const counts = await taken(id);
      expect(counts.cancelled).toBe(1);
      expect(counts['end-cancelled']).toBe(1);
      expect(counts.approve).toBeUndefined();
    });
  });

  describe('signals (bpmn-elements signal-feature)', () => {
    it('given a process started by a signal, when the signal is broadcast, then an instance starts; a second signal interrupts its task', async () => {
      const first = await broadcast('bef-spot-price-changed', { price: 100 });
      const id = await eventually(
        async () => {
          const res = await driver.get<{ items: Array<{ id: string }> }>(
            '/api/process-instances?processId=bef-signal-start',
          );
          return res.items[0]?.id;
        },
        { what: 'an instance started by the signal' },
      );
      expect(first).toBeDefined();
      await eventually(async () => (await waitingAt(id)).includes('register'), { what: 'the register task' });
      expect((await view(id)).variables).toMatchObject({ price: 100 });

      await broadcast('bef-trading-halted');

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.openTasks).toEqual([]);
      expect((await taken(id)).stopped).toBe(1);
      expect((await taken(id)).register).toBeUndefined();
    });
  });

  describe('call activity (bpmn-elements call-activity-feature)', () => {
    it('given a call activity, when the called process ends across a restart, then the caller goes on with the variables the child set', async () => {
      const id = await start('bef-call-parent', { input: 1 });
      const child = await eventually(
        async () => {
          const rows = await t.dataSource.query<Array<{ id: string }>>(
            'SELECT id FROM process_instance WHERE parent_instance_id = $1',
            [id],
          );
          return rows[0]?.id;
        },
        { what: 'the child instance' },
      );
      expect((await view(child)).variables).toMatchObject({ input: 1 });
      expect(await waitingAt(id)).toEqual(['call-activity']);
      await restart();

      await completeTask(child, 'child-task', { output: 2 });

      expect((await ended(child)).status).toBe('completed');
      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables).toMatchObject({ input: 1, output: 2 });
    });

    it('given a call activity waiting for its child, when the caller is cancelled, then the child is cancelled too', async () => {
      const id = await start('bef-call-parent');
      const child = await eventually(
        async () => {
          const rows = await t.dataSource.query<Array<{ id: string }>>(
            'SELECT id FROM process_instance WHERE parent_instance_id = $1',
            [id],
          );
          return rows[0]?.id;
        },
        { what: 'the child instance' },
      );

      const res = await driver.call('POST', `/api/process-instances/${id}/cancel`, {
        reason: 'no longer needed',
      });

      expect(res.status).toBe(200);
      expect((await ended(child)).status).toBe('cancelled');
      expect((await view(id)).status).toBe('cancelled');
    });
  });

  describe('terminate end event (bpmn-elements Process-feature)', () => {
    it('given a parallel split into a waiting task and a terminate end event, when it runs, then the instance ends at once and the task is withdrawn', async () => {
      const id = await start('bef-terminate');

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.openTasks).toEqual([]);
      const counts = await taken(id);
      expect(counts.terminate).toBe(1);
      expect(counts.end).toBeUndefined();
      expect(counts.waiting).toBeUndefined();
    });
  });

  describe('task loop (bpmn-elements task-loop-feature)', () => {
    it('given a sequential loop over three items with a completion condition, when the second answer meets it, then the loop ends without the third', async () => {
      const id = await start('bef-task-loop', { items: ['a', 'b', 'c'] });

      await completeTask(id, 'recurring', { answer: 'go on' });
      await eventually(async () => (await view(id)).openTasks.length === 1, { what: 'the second iteration' });
      await completeTask(id, 'recurring', { answer: 'stop' });

      const done = await ended(id);
      expect(done.status).toBe('completed');
      expect(done.variables.answers).toEqual(['go on', 'stop', null]);
      expect((await taken(id)).end).toBe(1);
    });
  });

  describe('script task (bpmn-engine scripts-feature)', () => {
    it.each([
      [4, 9, 'big'],
      [1, 2, 'small'],
    ])(
      'given a FEEL script task, when it adds %p and %p, then its result is a variable the gateway decides on (%s)',
      async (a, b, end) => {
        const id = await start('bef-script', { a, b });

        const done = await ended(id);
        expect(done.status).toBe('completed');
        expect(done.variables.total).toBe(a + b);
        expect((await taken(id))[end]).toBe(1);
      },
    );

    it('given a JavaScript script task, when it is deployed, then it is refused naming the element: the host runs no code', async () => {
      const xml = readFileSync(join(fixtures, 'bef-script.bpmn'), 'utf8')
        .replace('id="bef-script"', 'id="bef-script-js"')
        .replace(
          /<bpmn:extensionElements><zeebe:script[^>]*\/><\/bpmn:extensionElements>/,
          '<bpmn:script>next(null, environment.variables.a + environment.variables.b)</bpmn:script>',
        )
        .replace('<bpmn:scriptTask id="sum"', '<bpmn:scriptTask id="sum" scriptFormat="javascript"');

      const res = await driver.deploy(xml);

      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('sum');
    });
  });
});
