import { DeploymentService } from '../../src/definitions/deployment.service';
import { shippedForm } from '../support/form-samples';
import { startTestApp, type TestApp } from '../support/test-app';
import { MINIMAL_REQUEST, ReleaseDriver } from '../support/release-driver';

/**
 * Forms are deployed and versioned by form id; a task keeps the version it was created with. Version 2 of the
 * assessment form adds a required risk level, and a note required unless the risk is low (hidden by a condition).
 */
describe('form versions', () => {
  let t: TestApp;
  let flow: ReleaseDriver;
  const v1 = shippedForm('release-assessment');
  const v2 = {
    ...v1,
    components: [
      ...v1.components,
      {
        id: 'Field_riskLevel',
        key: 'riskLevel',
        label: '风险等级 (risk level)',
        type: 'select',
        values: [
          { label: '低 (low)', value: 'low' },
          { label: '高 (high)', value: 'high' },
        ],
        validate: { required: true },
      },
      {
        id: 'Field_riskNote',
        key: 'riskNote',
        label: '风险说明 (risk note)',
        type: 'textfield',
        validate: { required: true, maxLength: 200 },
        conditional: { hide: '=riskLevel = "low"' },
      },
    ],
  };
  const v1Answer = { assessmentDecision: 'approve', impactAssessment: 'none' };

  beforeAll(async () => {
    t = await startTestApp();
    flow = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(() => t.close());

  it('given a task created under version 1, when version 2 adds a required field, then the old task keeps version 1’s rules and a new task gets version 2’s', async () => {
    // given a release waiting at its assessment, on version 1 of the form
    const before = await flow.file('standard');
    const oldTask = await flow.task(before.id, 'assess-request');
    expect(oldTask.formVersion).toBe(1);

    // when a designer deploys version 2 (the same content again is no new version)
    const deployed = await flow.deployForm(v2);
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ formId: 'release-assessment', version: 2, created: true });
    expect((await flow.deployForm(v2)).status).toBe(200);
    const versions = await t.as('project-manager').get('/api/forms/release-assessment/versions').expect(200);
    expect(versions.body.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    // then the task created before hands out and checks version 1
    const oldForm = await t.as('project-manager').get(`/api/tasks/${oldTask.id}/form`).expect(200);
    expect(oldForm.body).toMatchObject({ formId: 'release-assessment', version: 1 });
    await t
      .as('project-manager')
      .post(`/api/tasks/${oldTask.id}/complete`)
      .send({ data: v1Answer })
      .expect(200);

    // and a task created now checks version 2: the risk level is required, the note unless the risk is low
    const after = await flow.file('standard');
    const newTask = await flow.task(after.id, 'assess-request');
    expect(newTask.formVersion).toBe(2);
    const complete = (data: Record<string, unknown>) =>
      t.as('project-manager').post(`/api/tasks/${newTask.id}/complete`).send({ data });
    const missing = await complete(v1Answer);
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([
      { field: 'riskLevel', message: 'is required' },
      { field: 'riskNote', message: 'is required' },
    ]);
    const unknown = await complete({ ...v1Answer, riskLevel: 'high', riskNote: 'n', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ field: 'colour', message: 'is not a field of this form' }]);
    expect((await flow.task(after.id, 'assess-request')).status).toBe('open');

    const done = await complete({ ...v1Answer, riskLevel: 'low', riskNote: 'dropped: hidden' });
    expect(done.status).toBe(200);
    expect(done.body.output).toEqual({ ...v1Answer, riskLevel: 'low' });
  });

  it('given a deployment of a form and a flow linking it, then both are stored; with a refused form, none is', async () => {
    const deployments = t.get<DeploymentService>(DeploymentService);
    const form = { type: 'default', id: 'quick-check', components: [{ type: 'textfield', key: 'note' }] };
    const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-quick" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="quick-check-flow" name="快速检查" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="check" name="检查">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition candidateGroups="project-manager"/>
        <zeebe:formDefinition formId="quick-check"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>`;
    // a refused form (an unknown component type) refuses the deployment, naming the resource: nothing is stored
    const bad = { ...form, components: [{ type: 'signature', key: 'sig' }] };
    await expect(
      deployments.deploy(
        [
          { name: 'quick-check.form', content: JSON.stringify(bad) },
          { name: 'quick-check.bpmn', content: bpmn },
        ],
        'designer',
      ),
    ).rejects.toThrow('quick-check.form');
    await t.as('admin').get('/api/forms/quick-check/versions').expect(404);
    await t.as('admin').get('/api/process-definitions/quick-check-flow/versions').expect(404);

    const result = await deployments.deploy(
      [
        { name: 'quick-check.bpmn', content: bpmn },
        { name: 'quick-check.form', content: JSON.stringify(form) },
      ],
      'designer',
    );
    expect(result.forms.map((f) => [f.form.formId, f.form.version])).toEqual([['quick-check', 1]]);
    expect(result.processes.map((p) => [p.definition.key, p.definition.version])).toEqual([
      ['quick-check-flow', 1],
    ]);
  });

  it('given a user task without a form, when it is completed, then any JSON object of variables within the size cap is accepted', async () => {
    const bpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-free" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="free-variables" name="自由变量" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="note" name="记录">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition candidateGroups="project-manager"/>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="note"/>
    <bpmn:sequenceFlow id="f2" sourceRef="note" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>`;
    expect((await flow.deploy(bpmn)).status).toBe(201);
    const started = await t
      .as('process-designer')
      .post('/api/process-instances')
      .send({ processId: 'free-variables', variables: {} })
      .expect(201);
    const task = (await flow.inbox({ processKey: 'free-variables' })).find(
      (x) => x.instanceId === started.body.id,
    )!;
    expect(task.formKey).toBeNull();
    await t.as('project-manager').get(`/api/tasks/${task.id}/form`).expect(404);
    const tooBig = await t
      .as('project-manager')
      .post(`/api/tasks/${task.id}/complete`)
      .send({ data: { blob: 'x'.repeat(600_000) } });
    expect(tooBig.status).toBe(413);
    const done = await t
      .as('project-manager')
      .post(`/api/tasks/${task.id}/complete`)
      .send({ data: { anything: { nested: [1, 'two'] }, ok: true } })
      .expect(200);
    expect(done.body.output).toEqual({ anything: { nested: [1, 'two'] }, ok: true });
  });
});
