import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { App } from 'supertest/types';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_USER_PASSWORD } from '../support/users';

const BPMN = readFileSync(join(__dirname, 'fixtures', 'order-fulfilment.bpmn'));
const DMN = readFileSync(join(__dirname, 'fixtures', 'order-discount.dmn'));
const basic = (username: string, password = TEST_USER_PASSWORD) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/**
 * The /v2 surface keeps the native API's rules: who may call what (HTTP Basic or a bearer token, the same roles),
 * bad input refused with a problem detail naming the field and nothing changed, one deployment all or nothing,
 * and 501 for what Camunda's API has and this service does not.
 */
/** A Camunda Form as the Modeler's form editor writes it. */
const APPROVE_FORM = {
  type: 'default',
  id: 'approve',
  schemaVersion: 16,
  executionPlatform: 'Camunda Cloud',
  components: [{ type: 'textfield', key: 'note', label: '备注 Note' }],
};

describe('Camunda 8 REST API: sign-in, roles and bad input', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer() as App);

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures') });
  });
  afterAll(() => t.close());

  /** The process definitions the service holds, asked through /v2 as the admin's bearer token. */
  const definitions = async () => {
    const found = await http()
      .post('/v2/process-definitions/search')
      .set('Authorization', `Bearer ${t.tokens.admin}`)
      .send({ filter: { processDefinitionId: 'order-fulfilment' } });
    expect(found.status).toBe(200);
    return found.body as { items: unknown[]; page: { totalItems: number } };
  };

  it('answers without credentials, or with a wrong password, 401 as a problem detail', async () => {
    const anonymous = await http().get('/v2/topology');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect(anonymous.body).toMatchObject({ status: 401, title: 'UNAUTHORIZED', instance: '/v2/topology' });

    const wrong = await http().get('/v2/topology').set('Authorization', basic('process-designer', 'not-it'));
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toBe('wrong username or password');

    // Basic stays a /v2 matter: the native API takes bearer tokens only.
    const native = await http().get('/api/me').set('Authorization', basic('process-designer'));
    expect(native.status).toBe(401);
    expect(native.body).toMatchObject({ statusCode: 401 });
  });

  it('tells a signed-in user who they are, by Basic or bearer token', async () => {
    const byBasic = await http().get('/v2/authentication/me').set('Authorization', basic('project-team'));
    expect(byBasic.status).toBe(200);
    expect(byBasic.body).toMatchObject({ username: 'project-team', roles: ['project-team'] });
    const byToken = await http()
      .get('/v2/authentication/me')
      .set('Authorization', `Bearer ${t.tokens['process-designer']}`);
    expect(byToken.body).toMatchObject({ username: 'process-designer' });
  });

  it('refuses a deployment by someone who may not deploy (403), and deploys nothing', async () => {
    const refused = await http()
      .post('/v2/deployments')
      .set('Authorization', basic('applicant'))
      .attach('resources', BPMN, 'order-fulfilment.bpmn');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ status: 403, title: 'FORBIDDEN' });
    expect(refused.body.detail).toContain('process-designer');
    expect((await definitions()).page.totalItems).toBe(0);
  });

  it('deploys all resources or none: one broken resource refuses the deployment, naming it', async () => {
    const broken = BPMN.toString('utf8')
      .replace('id="order-fulfilment"', 'id="broken-order"')
      .replace('</bpmn:process>', '<bpmn:scriptTask id="script"/></bpmn:process>');
    const refused = await http()
      .post('/v2/deployments')
      .set('Authorization', basic('process-designer'))
      .attach('resources', DMN, 'order-discount.dmn')
      .attach('resources', BPMN, 'order-fulfilment.bpmn')
      .attach('resources', Buffer.from(broken), 'broken-order.bpmn');
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('broken-order.bpmn');
    expect((await definitions()).page.totalItems).toBe(0);
    const decision = await http()
      .post('/v2/decision-definitions/evaluation')
      .set('Authorization', basic('process-designer'))
      .send({ decisionDefinitionId: 'order-discount', variables: { total: 5 } });
    expect(decision.status).toBe(404);

    const form = await http()
      .post('/v2/deployments')
      .set('Authorization', basic('process-designer'))
      .attach('resources', BPMN, 'order-fulfilment.bpmn')
      .attach('resources', Buffer.from('{"components":[]}'), 'approve.form');
    expect(form.status).toBe(400);
    expect(form.body.detail).toContain('approve.form');
    expect((await definitions()).page.totalItems).toBe(0);

    const withForm = await http()
      .post('/v2/deployments')
      .set('Authorization', basic('process-designer'))
      .attach('resources', BPMN, 'order-fulfilment.bpmn')
      .attach('resources', Buffer.from(JSON.stringify(APPROVE_FORM)), 'approve.form');
    expect(withForm.status).toBe(200);
    expect(withForm.body.deployments).toEqual(
      expect.arrayContaining([
        {
          form: expect.objectContaining({ formId: 'approve', version: 1, resourceName: 'approve.form' }),
        },
        { processDefinition: expect.objectContaining({ resourceName: 'order-fulfilment.bpmn' }) },
      ]),
    );
    expect(withForm.body.deployments[0].form.formKey).toMatch(/^\d+$/);
    expect((await definitions()).page.totalItems).toBe(1);
  });

  it('refuses bad bodies and keys with 400 naming the field, and starts nothing', async () => {
    const deployed = await http()
      .post('/v2/deployments')
      .set('Authorization', basic('process-designer'))
      .attach('resources', DMN, 'order-discount.dmn')
      .attach('resources', BPMN, 'order-fulfilment.bpmn');
    expect(deployed.status).toBe(200);

    const unknownField = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .send({ processDefinitionId: 'order-fulfilment', variabels: { orderId: 'X' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body).toMatchObject({ status: 400, title: 'INVALID_ARGUMENT' });
    expect(unknownField.body.detail).toContain('variabels');

    const notAnObject = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .send({ processDefinitionId: 'order-fulfilment', variables: 'orderId=X' });
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.detail).toContain('variables');

    const notJson = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .set('content-type', 'application/json')
      .send('{"processDefinitionId": ');
    expect(notJson.status).toBe(400);
    expect(notJson.headers['content-type']).toContain('application/problem+json');
    expect(notJson.body.detail).toBe('the request body is not valid JSON');

    const badKey = await http()
      .get('/v2/process-instances/abc')
      .set('Authorization', basic('process-designer'));
    expect(badKey.status).toBe(400);
    expect(badKey.body.detail).toContain('processInstanceKey');

    const unknownKey = await http()
      .get('/v2/process-instances/12345')
      .set('Authorization', basic('process-designer'));
    expect(unknownKey.status).toBe(404);

    const instances = await http()
      .post('/v2/process-instances/search')
      .set('Authorization', basic('process-designer'))
      .send({ filter: { processDefinitionId: 'order-fulfilment' } });
    expect(instances.status).toBe(200);
    expect(instances.body.page.totalItems).toBe(0);
  });

  it('keeps the native roles: workers and cancellations need a designer, incidents a coordinator', async () => {
    const activate = await http()
      .post('/v2/jobs/activation')
      .set('Authorization', basic('applicant'))
      .send({ type: 'shop.price', timeout: 1000, maxJobsToActivate: 1, requestTimeout: -1 });
    expect(activate.status).toBe(403);
    const incidents = await http()
      .post('/v2/incidents/search')
      .set('Authorization', basic('project-team'))
      .send({});
    expect(incidents.status).toBe(403);
    const started = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('applicant'))
      .send({ processDefinitionId: 'order-fulfilment', variables: { orderId: 'R-1', quantity: 1 } });
    expect(started.status).toBe(403);
    expect(started.body.detail).toContain('starterGroups');
  });

  it('serves a user task’s form and checks a completion against it as the inbox does', async () => {
    // Given an access request (shipped fixture: a plan-review form for project managers), started through /v2.
    const started = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .send({ processDefinitionId: 'access-request', variables: { priority: 'high' } });
    expect(started.status).toBe(200);
    const { processInstanceKey } = started.body as { processInstanceKey: string };
    const tasks = await http()
      .post('/v2/user-tasks/search')
      .set('Authorization', basic('project-manager'))
      .send({ filter: { processInstanceKey } });
    expect(tasks.body.items).toHaveLength(1);
    const { userTaskKey, formKey } = tasks.body.items[0] as { userTaskKey: string; formKey: string };
    expect(formKey).toMatch(/^[0-9]+$/);

    // When its form is asked for, then it is the plan-review Camunda Form with its fields.
    const form = await http()
      .get(`/v2/user-tasks/${userTaskKey}/form`)
      .set('Authorization', basic('project-manager'));
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({
      formId: 'plan-review',
      formKey,
      schema: {
        id: 'plan-review',
        components: expect.arrayContaining([expect.objectContaining({ key: 'planApproved' })]),
      },
    });

    // And someone outside the candidate group may neither see nor complete it.
    const outsider = await http()
      .post(`/v2/user-tasks/${userTaskKey}/completion`)
      .set('Authorization', basic('project-team'))
      .send({ variables: { planApproved: true } });
    expect(outsider.status).toBe(403);

    // When completed with a field the form does not have (a misspelt one), then 400 names it and the task stays open.
    const misspelt = await http()
      .post(`/v2/user-tasks/${userTaskKey}/completion`)
      .set('Authorization', basic('project-manager'))
      .send({ variables: { planAproved: true } });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.detail).toContain('planAproved');
    const still = await http()
      .get(`/v2/user-tasks/${userTaskKey}`)
      .set('Authorization', basic('project-manager'));
    expect(still.body.state).toBe('CREATED');

    // When completed with it, then the task is done and the instance has ended.
    const completed = await http()
      .post(`/v2/user-tasks/${userTaskKey}/completion`)
      .set('Authorization', basic('project-manager'))
      .send({ variables: { planApproved: true } });
    expect(completed.status).toBe(204);
    const instance = await http()
      .get(`/v2/process-instances/${processInstanceKey}`)
      .set('Authorization', basic('project-manager'));
    expect(instance.body.state).toBe('COMPLETED');
  });

  it('answers 501 for what Camunda’s API has and this service does not', async () => {
    const unsupported = await http()
      .post('/v2/element-instances/search')
      .set('Authorization', basic('process-designer'))
      .send({});
    expect(unsupported.status).toBe(501);
    expect(unsupported.body).toMatchObject({ status: 501, title: 'NOT_IMPLEMENTED' });
    expect(unsupported.body.detail).toContain('/v2/element-instances/search');

    const tenant = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .send({ processDefinitionId: 'order-fulfilment', tenantId: 'acme' });
    expect(tenant.status).toBe(501);
    expect(tenant.body.detail).toContain('tenant');

    const awaiting = await http()
      .post('/v2/process-instances')
      .set('Authorization', basic('process-designer'))
      .send({ processDefinitionId: 'order-fulfilment', awaitCompletion: true });
    expect(awaiting.status).toBe(501);
    expect(awaiting.body.detail).toContain('awaitCompletion');
  });
});
