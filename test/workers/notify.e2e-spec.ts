import { createHmac } from 'node:crypto';
import type { TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { fileRelease, startFixture, usePeers } from './support/worker-world';
import { historyOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

/** notify: real mails to a real SMTP server, real webhook posts to a real HTTP server, both on loopback. */
describe('notify worker', () => {
  const peers = usePeers('notify');
  const { smtp, http } = peers;
  let t: TestApp;
  let n = 0;

  beforeAll(() => {
    t = peers.t;
  });
  beforeEach(() => {
    smtp.mails.length = 0;
    http.requests.length = 0;
  });

  const notify = (
    releaseId: string,
    headers: Record<string, string>,
    variables: Record<string, unknown> = {},
  ) => startFixture(t, `notify-${++n}`, [{ id: 'tell', type: 'notify', headers }], releaseId, variables);

  it('given every channel configured, when a release is distributed, then its scope, applicant and project manager get one mail each and every robot one message in its own format', async () => {
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, { template: 'released' }, { versionNumber: '4.2.0' });
    await waitForInstanceEnd(t, instanceId);

    // Mail: the distribution scope (an address and a role), the applicant who filed, the project manager.
    expect(smtp.mails.flatMap((m) => m.to).sort()).toEqual([
      'applicant@example.test',
      'finance@example.test',
      'project-manager@example.test',
      'user-representative@example.test',
    ]);
    const mail = smtp.to('finance@example.test')[0]!;
    expect(mail.from).toBe('release-flow@example.test');
    expect(mail.subject).toContain(`【发布通知】${release.number}`);
    expect(mail.subject).toContain(`Released: ${release.number}`);
    expect(mail.subject).toContain('4.2.0');
    expect(mail.messageId).toMatch(/@release-flow>$/);

    // Chat robots, one message each, in their formats.
    const generic = http.to('/generic');
    expect(generic).toHaveLength(1);
    expect(generic[0]!.body).toMatchObject({
      event: 'released',
      release: { id: release.id, number: release.number, version: '4.2.0' },
    });
    expect(generic[0]!.body.subject).toContain(release.number);
    const signature = createHmac('sha256', 'generic-webhook-secret')
      .update(JSON.stringify(generic[0]!.body))
      .digest('hex');
    expect(generic[0]!.headers['x-release-flow-signature']).toBe(`sha256=${signature}`);
    expect(generic[0]!.headers['x-idempotency-key']).toBe(generic[0]!.body.idempotencyKey);

    const wecom = http.to('/wecom');
    expect(wecom).toHaveLength(1);
    expect(wecom[0]!.query.get('key')).toBe('wecom-robot-key');
    expect(wecom[0]!.body).toMatchObject({ msgtype: 'markdown' });
    expect(wecom[0]!.body.markdown.content).toContain(release.number);

    const dingtalk = http.to('/dingtalk');
    expect(dingtalk).toHaveLength(1);
    expect(dingtalk[0]!.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: expect.stringContaining('发布通知') },
    });
    const timestamp = dingtalk[0]!.query.get('timestamp')!;
    expect(dingtalk[0]!.query.get('sign')).toBe(
      createHmac('sha256', 'SECdingtalk-secret').update(`${timestamp}\nSECdingtalk-secret`).digest('base64'),
    );
    expect(dingtalk[0]!.query.get('access_token')).toBe('dingtalk-token');

    const feishu = http.to('/feishu');
    expect(feishu).toHaveLength(1);
    expect(feishu[0]!.body).toMatchObject({
      msg_type: 'text',
      content: { text: expect.stringContaining('分发范围') },
    });
    expect(feishu[0]!.body.sign).toBe(
      createHmac('sha256', `${feishu[0]!.body.timestamp}\nfeishu-secret`).update('').digest('base64'),
    );

    // The outcome is in the release's history.
    const done = (await historyOf(t, instanceId)).find((h) => h.type === 'job.completed');
    expect(done?.data.outcome).toMatchObject({ template: 'released', sent: 8, alreadySent: 0 });
    expect(done?.data.outcome.recipients).toEqual(
      expect.arrayContaining(['applicant', 'project-manager', 'user-representative', 'finance@example.test']),
    );
  });

  it('given a release distributed on paper only, when it is distributed, then nothing is sent and the outcome says why', async () => {
    const release = await fileRelease(t, { distributionMethods: ['paper'] });
    const instanceId = await notify(release.id, { template: 'released' });
    await waitForInstanceEnd(t, instanceId);

    expect(smtp.mails).toEqual([]);
    expect(http.requests).toEqual([]);
    const done = (await historyOf(t, instanceId)).find((h) => h.type === 'job.completed');
    expect(done?.data.outcome.skipped).toEqual(expect.arrayContaining(['paper: distributed by hand']));
    expect(done?.data.outcome.sent).toBe(0);
  });

  it('given a rejected request, when the applicant is told, then only the applicant who filed it gets a mail, with the comment', async () => {
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, { template: 'rejected' }, { comment: '与 CHG-17 冲突' });
    await waitForInstanceEnd(t, instanceId);
    expect(smtp.mails.map((m) => m.to)).toEqual([['applicant@example.test']]);
    expect(smtp.mails[0]!.raw).toContain('Rejected');
    expect(http.to('/generic')[0]!.body.markdown).toContain('与 CHG-17 冲突');
  });

  it('given extra roles and users in the task headers, when a task is assigned, then they are told', async () => {
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, {
      template: 'task-assigned',
      roles: 'test-team',
      users: 'network-engineer',
      task: '发布测试',
    });
    await waitForInstanceEnd(t, instanceId);
    expect(smtp.mails.flatMap((m) => m.to).sort()).toEqual([
      'network-engineer@example.test',
      'test-team@example.test',
    ]);
    expect(smtp.mails[0]!.subject).toContain('发布测试');
  });

  it('given the generic webhook fails twice, when the job retries, then it is delivered on the third attempt and nobody else is told twice', async () => {
    http.failNext('/generic', 2);
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, { template: 'closed' });
    await waitForInstanceEnd(t, instanceId);

    expect(http.to('/generic').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(http.to('/wecom')).toHaveLength(1);
    expect(http.to('/dingtalk')).toHaveLength(1);
    expect(http.to('/feishu')).toHaveLength(1);
    const recipients = smtp.mails.flatMap((m) => m.to).sort();
    expect(recipients).toEqual([
      'applicant@example.test',
      'network-engineer@example.test',
      'project-manager@example.test',
    ]);
    const history = await historyOf(t, instanceId);
    expect(history.filter((h) => h.type === 'job.failed').map((h) => h.data.attempt)).toEqual([1, 2]);
    expect(history.filter((h) => h.type === 'job.failed')[0]!.data.error).toMatch(/webhook:generic .*503/);
    const done = history.find((h) => h.type === 'job.completed');
    expect(done?.data.outcome).toMatchObject({ sent: 1, alreadySent: 6 });
  });

  it('given a robot that refuses every message, when retries run out, then an incident opens; retried after the fix, only the robot is sent to', async () => {
    http.failAlways('/wecom', { status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } });
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, { template: 'test-failed' }, { defects: [{ id: 'D1' }] });
    const job = await waitForJob(t, instanceId, 'tell', 'failed');
    expect(job.error).toMatch(/wecom robot refused the message: errcode 93000/);
    expect(http.to('/wecom')).toHaveLength(3);
    expect(smtp.mails.flatMap((m) => m.to).sort()).toEqual([
      'project-manager@example.test',
      'project-team@example.test',
    ]);
    const incidents = (await t.as('admin').get('/api/incidents?state=open')).body.items as Array<{
      id: string;
      instanceId: string;
    }>;
    const incident = incidents.find((i) => i.instanceId === instanceId)!;
    expect(incident).toBeDefined();

    http.heal('/wecom');
    await t.as('admin').post(`/api/incidents/${incident.id}/retry`).expect(200);
    await waitForInstanceEnd(t, instanceId);
    expect(http.to('/wecom').map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(http.to('/generic')).toHaveLength(1);
    expect(smtp.mails).toHaveLength(2);
    const deliveries = await t.dataSource.query(
      `SELECT channel, status, attempts FROM outbound_delivery WHERE job_id = $1 AND channel = 'webhook:wecom'`,
      [job.id],
    );
    expect(deliveries).toEqual([{ channel: 'webhook:wecom', status: 'sent', attempts: 4 }]);
  });

  it('given a template the service does not know, when the job runs, then it fails at once with an incident', async () => {
    const release = await fileRelease(t);
    const instanceId = await notify(release.id, { template: 'no-such-template' });
    const job = await waitForJob(t, instanceId, 'tell', 'failed');
    expect(job.attempts).toBe(1);
    expect(job.error).toContain('unknown notification template "no-such-template"');
    await eventually(
      async () => (await historyOf(t, instanceId)).some((h) => h.type === 'incident.created'),
      {
        what: 'the incident',
      },
    );
  });
});
