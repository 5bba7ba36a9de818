import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { fixture, storedDefinitions } from './definitions-support';

/** A fixture as the bytes a designer uploads (some are not UTF-8). */
const bytesOf = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));

type Problem = { field: string; message: string };

/**
 * What a process designer gets back from a deploy: every problem at once, each on its element and saying what to
 * do; diagram leftovers and work for external job workers as warnings; files in the encoding they were saved in.
 */
describe('deploy feedback for process designers', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    driver = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  /**
   * Deploy, expect the refusal, and check that nothing was stored and the dry run says the same (a 200 with
   * `valid: false`; a 400 when the upload cannot even be read as text, as for an empty body).
   */
  const refused = async (file: string | Buffer): Promise<Problem[]> => {
    const before = await storedDefinitions(t);
    const response = await driver.deploy(file);
    expect(response.status).toBe(400);
    const details = response.body.details as Problem[];
    expect(await storedDefinitions(t)).toEqual(before);
    const dryRun = await driver.deploy(file, 'process-designer', '/api/process-definitions/validate');
    if (dryRun.status === 400) expect(dryRun.body.details).toEqual(details);
    else expect(dryRun.body).toMatchObject({ valid: false, errors: details });
    return details;
  };

  describe('every problem at once', () => {
    it('given a descriptive draft with a misspelt element and two broken elements, when it is deployed, then each problem is listed on its element, saying what to do', async () => {
      const details = await refused(bytesOf('descriptive-with-problems.bpmn'));

      expect(details).toEqual([
        {
          field: 'xml',
          message: expect.stringMatching(/^line 11, column 4: <bpmn:userTsak> cannot be read as BPMN/),
        },
        {
          field: 'change-draft',
          message:
            'the process "Change request (draft)" (change-draft) is not executable: tick "Executable" in its properties (isExecutable="true")',
        },
        {
          field: 'timer-1',
          message:
            'the intermediate catch event "Wait a day": the timer has no duration, date or cycle expression: set its type and value under Timer',
        },
      ]);
    });

    it('given two executable processes with a broken task each, when the file is deployed, then the task of each is listed', async () => {
      const xml = fixture('two-executable-processes.bpmn')
        .replace(
          '<bpmn:userTask id="task" name="task"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="project-manager"/>',
          '<bpmn:userTask id="task" name="task"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="nobody"/>',
        )
        .replace(
          '<bpmn:userTask id="task-2" name="task-2"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="project-manager"/><zeebe:formDefinition formKey="release-assessment"/>',
          '<bpmn:userTask id="task-2" name="task-2"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="project-manager"/><zeebe:formDefinition formKey="no-such-form"/>',
        );

      const details = await refused(Buffer.from(xml));

      expect(details).toEqual([
        {
          field: 'task',
          message: expect.stringMatching(/^the user task "task": candidate group "nobody" is not a role/),
        },
        {
          field: 'task-2',
          message: expect.stringMatching(/^the user task "task-2": form "no-such-form" does not exist/),
        },
      ]);
    });
  });

  describe('a diagram that still draws deleted elements', () => {
    it('given shapes and edges of elements no longer in the process, when the file is deployed, then it deploys and each leftover is a warning naming it', async () => {
      const response = await driver.deploy(bytesOf('stale-diagram.bpmn'));

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ key: 'stale-diagram', version: 1, created: true });
      expect(response.body.warnings).toEqual(
        expect.arrayContaining([
          {
            field: 'gone_di',
            message: expect.stringMatching(
              /^the diagram's bpmnshape draws "Task_gone", which is not in the file/,
            ),
          },
          {
            field: 'gone_flow_di',
            message: expect.stringMatching(/draws "Flow_gone", which is not in the file/),
          },
        ]),
      );
    });

    it('given a sequence flow that points at a deleted task, when deployed, then that is still refused on the flow', async () => {
      const details = await refused(
        bytesOf('stale-diagram.bpmn').toString('utf8').replace('targetRef="end"', 'targetRef="Task_gone"'),
      );
      expect(details).toContainEqual({
        field: 'f2',
        message: expect.stringMatching(
          /^the sequence flow's targetRef "Task_gone" names nothing in the file/,
        ),
      });
    });
  });

  describe('stray text between elements', () => {
    it("given a word left inside a task's extension elements (as in the Camunda JS SDK's test files), when deployed, then it deploys with a warning naming where the text is, and the task keeps its settings", async () => {
      const xml = bytesOf('stale-diagram.bpmn')
        .toString('utf8')
        .replace('id="stale-diagram"', 'id="stray-text"')
        .replace('<bpmn:extensionElements>', '<bpmn:extensionElements>\n        0ex');

      const response = await driver.deploy(xml);

      expect(response.status).toBe(201);
      expect(response.body.warnings).toContainEqual({
        field: 'xml',
        message: expect.stringMatching(
          /^line 8, column \d+: the text "0ex" is inside an element that holds no text, so it is left out/,
        ),
      });
      const started = await driver.call(
        'POST',
        '/api/process-instances',
        { processId: 'stray-text', variables: {} },
        'process-designer',
      );
      expect(started.status).toBe(201);
      expect(started.body.openTasks).toEqual([expect.objectContaining({ elementId: 'review' })]);
      const tasks = await driver.get<{ items: Array<{ elementId: string; candidateGroups: string[] }> }>(
        `/api/tasks?instanceId=${started.body.id}`,
        'project-manager',
      );
      expect(tasks.items.map((task) => [task.elementId, task.candidateGroups])).toEqual([
        ['review', ['project-manager']],
      ]);
    });

    it('given a misspelt element in the same place, when deployed, then that is still refused: it would drop what runs', async () => {
      const details = await refused(
        bytesOf('stale-diagram.bpmn')
          .toString('utf8')
          .replace(
            '<zeebe:assignmentDefinition candidateGroups="project-manager"/>',
            '<bpmn:assignmentDefinition candidateGroups="project-manager"/>',
          ),
      );
      expect(details[0]).toEqual({ field: 'xml', message: expect.stringMatching(/cannot be read as BPMN/) });
    });
  });

  describe('files saved in another encoding than UTF-8', () => {
    it('given a file declared ISO-8859-1, when its bytes are deployed, then its names arrive intact and it is kept as UTF-8', async () => {
      const latin1 = bytesOf('latin1-flow.bpmn');
      expect(latin1.includes(Buffer.from('ü', 'utf8'))).toBe(false);

      const response = await driver.deploy(latin1);

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ key: 'latin1-flow', name: 'Prüfung der Änderung' });
      const stored = await t
        .as('process-designer')
        .get('/api/process-definitions/latin1-flow/versions/1/xml');
      expect(stored.text).toContain('name="Qualitätsprüfung à côté"');
      expect(stored.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
      // The same bytes again are the same version.
      expect((await driver.deploy(latin1)).status).toBe(200);
    });

    it('given a file declared windows-1252, when it is uploaded as a multipart file, then the euro sign and the dashes arrive intact', async () => {
      const response = await t
        .as('process-designer')
        .post('/api/process-definitions')
        .attach('file', bytesOf('windows-1252-flow.bpmn'), 'windows-1252-flow.bpmn');

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ key: 'windows-1252-flow', name: 'Kosten bis 100 € – Freigabe' });
    });

    it('given an encoding the service does not know, when deployed, then 400 names the encoding', async () => {
      const ebcdic = Buffer.from(
        bytesOf('latin1-flow.bpmn').toString('latin1').replace('ISO-8859-1', 'EBCDIC-FR'),
        'latin1',
      );

      const details = await refused(ebcdic);

      expect(details).toEqual([
        {
          field: 'xml',
          message:
            'the encoding "EBCDIC-FR" (from its XML declaration (encoding="EBCDIC-FR")) is not supported: save the file as UTF-8',
        },
      ]);
    });

    it('given a Latin-1 file that does not declare its encoding, when deployed, then it is read as UTF-8 and refused with the fix, not stored garbled', async () => {
      const undeclared = Buffer.from(
        bytesOf('latin1-flow.bpmn').toString('latin1').replace(' encoding="ISO-8859-1"', ''),
        'latin1',
      );

      const details = await refused(undeclared);

      expect(details).toEqual([
        {
          field: 'xml',
          message: expect.stringMatching(/^the file is not valid utf-8 text .*encoding="ISO-8859-1"/),
        },
      ]);
    });
  });

  describe('service tasks for external job workers', () => {
    it('given a job type no handler here carries out, when deployed, then it deploys with a warning naming the task and the type, and the job of a started instance waits for an external worker to activate it', async () => {
      const response = await driver.deploy(bytesOf('unknown-job-type.bpmn'));

      expect(response.status).toBe(201);
      expect(response.body.warnings).toContainEqual({
        field: 'teleport',
        message:
          'the service task "teleport": no built-in handler carries out job type "teleport.package": its jobs wait for an external job worker (POST /api/jobs/activate with type "teleport.package")',
      });

      const instance = await t.get<InstanceService>(InstanceService).start('unknown-job-type', {});
      const activated = await driver.call(
        'POST',
        '/api/jobs/activate',
        { type: 'teleport.package', worker: 'teleporter', timeoutMs: 60_000, maxJobs: 1 },
        'process-designer',
      );
      expect(activated.status).toBe(200);
      expect(JSON.stringify(activated.body)).toContain(instance.id);
    });

    it('given a built-in job type, when deployed, then no warning sends it to external workers', async () => {
      const xml = fixture('unknown-job-type.bpmn')
        .replace('teleport.package', 'notify')
        .replace('id="unknown-job-type"', 'id="built-in-job-type"');

      const response = await driver.deploy(xml);

      expect(response.status).toBe(201);
      expect(response.body.warnings).not.toContainEqual(
        expect.objectContaining({ message: expect.stringMatching(/external job worker/) }),
      );
    });

    it('given a job type written as an expression, when deployed, then it is refused: job types are not evaluated here', async () => {
      const xml = fixture('unknown-job-type.bpmn').replace('"teleport.package"', '"=jobKind"');

      const details = await refused(Buffer.from(xml));

      expect(details).toEqual([
        {
          field: 'teleport',
          message: expect.stringMatching(
            /^the service task "teleport" has the job type "=jobKind", an expression/,
          ),
        },
      ]);
    });
  });
});
