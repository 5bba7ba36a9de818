import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCamundaClient, type CamundaClient } from '@camunda8/orchestration-cluster-api';
import { Camunda8 } from '@camunda8/sdk';
import type { TestApp } from '../support/test-app';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD } from '../support/users';
import { startListeningApp } from './support';

/** The order process, its approval a Camunda user task linking the approval form. */
const BPMN = readFileSync(join(__dirname, 'fixtures', 'order-fulfilment.bpmn'), 'utf8').replace(
  '<zeebe:assignmentDefinition candidateGroups="project-team"/>',
  '<zeebe:userTask/><zeebe:assignmentDefinition candidateGroups="project-team"/><zeebe:formDefinition formId="approve-order"/>',
);
/** The approval form as the Modeler's form editor writes it. */
const FORM = JSON.stringify({
  type: 'default',
  id: 'approve-order',
  schemaVersion: 19,
  executionPlatform: 'Camunda Cloud',
  executionPlatformVersion: '8.8.0',
  components: [{ type: 'checkbox', key: 'approved', label: '批准 (approved)', id: 'Field_approved' }],
});
const DMN = readFileSync(join(__dirname, 'fixtures', 'order-discount.dmn'), 'utf8');
/** How long the clients' own eventual-consistency polling may wait for a state. */
const WAIT = { waitUpToMs: 20_000, pollIntervalMs: 100 };

/**
 * Camunda's official clients against the /v2 surface, configured with nothing but the address and HTTP Basic
 * credentials, as a Modeler or a worker outside the service would be: the @camunda8/sdk REST client (the Modeler's
 * way: topology, then deployment) deploys an order process with a DMN; the orchestration cluster client starts it,
 * its job workers work the service tasks, a team member completes the user task, the payment message is
 * correlated, and the instance completes with the variables each step set. A job failed with no retries left
 * becomes an incident that resolves once its retries are raised.
 */
describe('Camunda 8 REST API through Camunda’s own clients', () => {
  let t: TestApp;
  let baseUrl: string;
  const clients: CamundaClient[] = [];
  const sdks: Camunda8[] = [];
  /** The orchestration cluster client signed in as a user (HTTP Basic). */
  const clientAs = (username: string, password = TEST_USER_PASSWORD) => {
    const client = createCamundaClient({
      env: {},
      config: {
        CAMUNDA_REST_ADDRESS: baseUrl,
        CAMUNDA_AUTH_STRATEGY: 'BASIC',
        CAMUNDA_BASIC_AUTH_USERNAME: username,
        CAMUNDA_BASIC_AUTH_PASSWORD: password,
      },
    });
    clients.push(client);
    return client;
  };
  /** @camunda8/sdk's REST client, as the Desktop Modeler configures it for a self-managed cluster. */
  const sdkAs = (username: string, password = TEST_USER_PASSWORD) => {
    const sdk = new Camunda8({
      ZEEBE_REST_ADDRESS: baseUrl,
      CAMUNDA_AUTH_STRATEGY: 'BASIC',
      CAMUNDA_BASIC_AUTH_USERNAME: username,
      CAMUNDA_BASIC_AUTH_PASSWORD: password,
    });
    sdks.push(sdk);
    return sdk.getCamundaRestClient();
  };

  beforeAll(async () => {
    ({ t, baseUrl } = await startListeningApp());
  });
  afterAll(async () => {
    for (const client of clients) client.stopAllWorkers();
    for (const sdk of sdks) sdk.getCamundaRestClient().stopWorkers();
    await t?.close();
  });

  it('deploys from the Modeler’s sequence, runs an instance to its end with workers, a task and a message, and resolves an incident', async () => {
    // Given the Modeler's deploy sequence: topology first, then the deployment (BPMN and DMN at once).
    const modeler = sdkAs('process-designer');
    const topology = await modeler.getTopology();
    expect(topology.brokers[0]?.partitions[0]?.role).toBe('leader');
    const deployment = await modeler.deployResources([
      { content: BPMN, name: 'order-fulfilment.bpmn' },
      { content: DMN, name: 'order-discount.dmn' },
      { content: FORM, name: 'approve-order.form' },
    ]);
    expect(deployment.forms.map((f) => [f.formId, f.version])).toEqual([['approve-order', 1]]);
    const process = deployment.processes.find((p) => p.processDefinitionId === 'order-fulfilment');
    expect(process?.processDefinitionVersion).toBe(1);
    expect(String(process?.processDefinitionKey)).toMatch(/^[0-9]+$/);
    expect(deployment.decisions.map((d) => d.decisionDefinitionId)).toEqual(['order-discount']);

    // And job workers built with the client's own worker API: pricing fails the second order once, for good.
    const designer = clientAs('process-designer');
    const failedOnce = new Set<string>();
    designer.createJobWorker({
      jobType: 'shop.price',
      maxParallelJobs: 2,
      jobTimeoutMs: 30_000,
      pollTimeoutMs: 1_000,
      jobHandler: async (job) => {
        const variables = job.variables as { quantity: number; failPricing?: boolean };
        if (variables.failPricing && !failedOnce.has(String(job.jobKey))) {
          failedOnce.add(String(job.jobKey));
          return job.fail({ retries: 0, errorMessage: 'price list unreachable' });
        }
        return job.complete({ total: variables.quantity * 600 });
      },
    });
    designer.createJobWorker({
      jobType: 'shop.ship',
      maxParallelJobs: 2,
      jobTimeoutMs: 30_000,
      pollTimeoutMs: 1_000,
      jobHandler: async (job) => job.complete({ shipped: true, carrier: 'SF' }),
    });

    // When an order is started through the client...
    const started = await designer.createProcessInstance({
      processDefinitionId: 'order-fulfilment',
      variables: { orderId: 'A-1', quantity: 2 },
    } as never);
    const processInstanceKey = started.processInstanceKey;
    expect(String(processInstanceKey)).toMatch(/^[0-9]+$/);

    // ...a member of the task's candidate group finds its task once pricing and the discount ran, claims and completes it...
    const member = clientAs('project-team');
    const tasks = await member.searchUserTasks({ filter: { processInstanceKey } } as never, {
      consistency: { ...WAIT, predicate: (r) => r.items.length > 0 },
    });
    const task = tasks.items[0]!;
    expect(task.elementId).toBe('approve');
    expect(task.state).toBe('CREATED');
    const form = await member.getUserTaskForm({ userTaskKey: task.userTaskKey } as never, WAIT as never);
    expect(form).toMatchObject({ formId: 'approve-order' });
    expect(JSON.stringify(form)).toContain('批准 (approved)');
    await member.assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'project-team' } as never);
    await member.completeUserTask({ userTaskKey: task.userTaskKey, variables: { approved: true } } as never);

    // ...and the payment message is correlated through the SDK's REST client.
    const correlated = await sdkAs('process-designer').correlateMessage({
      name: 'order-paid',
      correlationKey: 'A-1',
      variables: { paymentId: 'P-9' },
    });
    expect(String(correlated.processInstanceKey)).toBe(String(processInstanceKey));

    // Then the instance completes, with what each step set.
    const done = await designer.getProcessInstance({ processInstanceKey } as never, {
      consistency: { ...WAIT, predicate: (i) => i.state === 'COMPLETED' },
    });
    expect(done.processDefinitionId).toBe('order-fulfilment');
    const variables = await designer.searchVariables({ filter: { processInstanceKey } } as never, {
      consistency: { waitUpToMs: 0 },
    });
    const values = Object.fromEntries(variables.items.map((v) => [v.name, JSON.parse(v.value) as unknown]));
    expect(values).toMatchObject({
      orderId: 'A-1',
      total: 1200,
      discount: 0.1,
      approved: true,
      paymentId: 'P-9',
      shipped: true,
      carrier: 'SF',
    });
    const evaluated = await designer.evaluateDecision({
      decisionDefinitionId: 'order-discount',
      variables: { total: 100 },
    } as never);
    expect(JSON.parse(evaluated.output)).toBe(0);

    // Given a second order whose pricing fails with no retries left: an incident.
    const second = await designer.createProcessInstance({
      processDefinitionId: 'order-fulfilment',
      variables: { orderId: 'A-2', quantity: 1, failPricing: true },
    } as never);
    const admin = clientAs('admin', TEST_ADMIN_PASSWORD);
    const incidents = await admin.searchIncidents(
      { filter: { processInstanceKey: second.processInstanceKey } } as never,
      { consistency: { ...WAIT, predicate: (r) => (r.items ?? []).length > 0 } },
    );
    const incident = incidents.items![0]!;
    expect(incident).toMatchObject({ errorType: 'JOB_NO_RETRIES', state: 'ACTIVE', elementId: 'price' });
    expect(incident.errorMessage).toContain('price list unreachable');
    const stuck = await designer.getProcessInstance(
      { processInstanceKey: second.processInstanceKey } as never,
      {
        consistency: { waitUpToMs: 0 },
      },
    );
    expect(stuck.hasIncident).toBe(true);

    // When its retries are raised and the incident resolved...
    await designer.updateJob({ jobKey: incident.jobKey, changeset: { retries: 1 } } as never);
    await admin.resolveIncident({ incidentKey: incident.incidentKey } as never);

    // ...then the worker prices it again and the order reaches its task; cancelled through the SDK, it ends.
    await member.searchUserTasks({ filter: { processInstanceKey: second.processInstanceKey } } as never, {
      consistency: { ...WAIT, predicate: (r) => r.items.length > 0 },
    });
    const resolved = await admin.searchIncidents(
      { filter: { processInstanceKey: second.processInstanceKey } } as never,
      { consistency: { waitUpToMs: 0 } },
    );
    expect((resolved.items ?? []).map((i) => i.state)).toEqual(['RESOLVED']);
    await sdkAs('process-designer').cancelProcessInstance({
      processInstanceKey: String(second.processInstanceKey),
    });
    const cancelled = await designer.getProcessInstance(
      { processInstanceKey: second.processInstanceKey } as never,
      { consistency: { waitUpToMs: 0 } },
    );
    expect(cancelled.state).toBe('TERMINATED');
  });
});
