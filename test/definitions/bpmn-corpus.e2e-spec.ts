import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeXml } from '../../src/platform/xml-text';
import { ReleaseDriver } from '../support/release-driver';
import { PROJECT_ROOT, startTestApp, type TestApp } from '../support/test-app';

/**
 * BPMN files drawn by other people and other tools (../shared/bpmn-corpus beside the clone, read where it lies,
 * never copied here), each deployed over HTTP: the answer is a deployment or a refusal that names an element of
 * the file or the file itself, never a 5xx or a hang. `node scripts/bpmn-corpus.mjs` counts the same files.
 */
const CORPUS = join(PROJECT_ROOT, '..', 'shared', 'bpmn-corpus');

function bpmnFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return bpmnFiles(path);
      return entry.isFile() && entry.name.endsWith('.bpmn') ? [path] : [];
    })
    .sort();
}

const files = existsSync(CORPUS) ? bpmnFiles(CORPUS).map((path) => relative(CORPUS, path)) : [];

if (files.length === 0) {
  describe('deploying the BPMN corpus', () => {
    it.skip(`skipped: no .bpmn files at ${CORPUS} (the shared corpus sits beside the clone in CI)`, () => {});
  });
} else {
  describe(`deploying the BPMN corpus (${files.length} files)`, () => {
    let t: TestApp;
    let driver: ReleaseDriver;

    beforeAll(async () => {
      t = await startTestApp();
      driver = ReleaseDriver.forApp(t);
    });
    afterAll(() => t.close());

    it.each(files)(
      'given %s as drawn elsewhere, when it is deployed, then it deploys or is refused naming its elements',
      async (file) => {
        const bytes = readFileSync(join(CORPUS, file));
        const text = decodeXml(bytes).text ?? bytes.toString('latin1');

        const response = await driver.deploy(bytes);

        expect([200, 201, 400]).toContain(response.status);
        if (response.status === 400) {
          const details = response.body.details as Array<{ field: string; message: string }>;
          expect(details.length).toBeGreaterThan(0);
          for (const { field, message } of details) {
            expect(message).toEqual(expect.any(String));
            // `xml` is the file; any other field is the id of something in it.
            if (field !== 'xml') expect([field, text.includes(`id="${field}`)]).toEqual([field, true]);
          }
        } else {
          expect(response.body).toMatchObject({ key: expect.any(String), warnings: expect.any(Array) });
        }
      },
      30_000,
    );
  });
}
