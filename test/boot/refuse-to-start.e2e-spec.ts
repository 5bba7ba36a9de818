import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InvalidInputError } from '../../src/platform/errors';
import { ConfigError } from '../../src/config/app-config';
import { startTestApp, type TestApp } from '../support/test-app';
import { dropTestResources, newTestResources } from '../support/test-env';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

describe('a shared database without a shared token key', () => {
  it('given DATABASE_URL but no JWT_SECRET, the service refuses to start and names JWT_SECRET', async () => {
    const resources = newTestResources();
    try {
      // Each process would sign with its own random key: users behind a load balancer would get random 401s.
      await expect(startTestApp({ JWT_SECRET: '' }, resources)).rejects.toThrow(
        /JWT_SECRET is required with DATABASE_URL/,
      );
      await expect(startTestApp({ JWT_SECRET: '' }, resources)).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await dropTestResources(resources);
    }
  });
});

describe('definitions the workers cannot run', () => {
  it('given a shipped process with a job type no handler carries out, the service refuses to start and names it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'processes-'));
    copyFileSync(fixture('unknown-job-type.bpmn'), join(dir, 'unknown-job-type.bpmn'));
    const resources = newTestResources();
    try {
      await expect(startTestApp({ PROCESSES_DIR: dir }, resources)).rejects.toThrow(
        /no handler is registered for job type "teleport.package"/,
      );
    } finally {
      await dropTestResources(resources);
    }
  });

  describe('deploying', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    // A job type without a handler here is refused on start only: deployed by a designer, it is work for
    // external job workers (test/definitions/designer-feedback.e2e-spec.ts).
    it.each([['script-task.bpmn', /must not run code/]])(
      'refuses %s and stores nothing',
      async (file, reason) => {
        const before = await t.dataSource.query('SELECT count(*)::int AS n FROM process_definition');
        const attempt = t
          .get<DefinitionService>(DefinitionService)
          .deploy(readFileSync(fixture(file), 'utf8'), 'test');
        await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
        await expect(attempt).rejects.toMatchObject({
          details: expect.arrayContaining([
            expect.objectContaining({ message: expect.stringMatching(reason) }),
          ]),
        });
        const after = await t.dataSource.query('SELECT count(*)::int AS n FROM process_definition');
        expect(after[0].n).toBe(before[0].n);
      },
    );
  });
});
