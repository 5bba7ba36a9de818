import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

interface LintReport {
  readonly id: string;
  readonly category: string;
  readonly message: string;
}
interface Linter {
  lint(xml: string): Promise<LintReport[]>;
}

const ROOT = join(__dirname, '..', '..');

/**
 * @camunda/linting (Camunda Modeler's lint rules) is ES modules with extensionless imports and no "type":
 * "module": bundled once for this scenario into one CommonJS file.
 */
function modelerLinter(): Linter {
  const out = join(tmpdir(), `camunda-linting-${process.pid}.cjs`);
  buildSync({
    stdin: { contents: "module.exports = require('@camunda/linting');", resolveDir: ROOT },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    logLevel: 'error',
  });
  try {
    const { Linter: LinterClass } = createRequire(__filename)(out) as {
      Linter: new (options: { type: 'cloud' }) => Linter;
    };
    return new LinterClass({ type: 'cloud' });
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * The shipped flows lint clean under Camunda Modeler's own rules for their execution platform (Camunda 8.8, read
 * from the diagram): no errors and no warnings (job-worker user tasks, deprecated there, are Camunda user tasks).
 */
describe('the shipped flows under Camunda Modeler’s lint rules', () => {
  let linter: Linter;
  beforeAll(() => {
    linter = modelerLinter();
  });

  it.each(['standard-release', 'major-release', 'emergency-release'])(
    'given %s.bpmn, when Camunda Modeler lints it, then it reports nothing',
    async (name) => {
      const xml = readFileSync(join(ROOT, 'processes', `${name}.bpmn`), 'utf8');
      expect(xml).toContain('modeler:executionPlatformVersion="8.8.0"');
      const reports = await linter.lint(xml);
      expect(reports.map((r) => `${r.category} ${r.id}: ${r.message}`)).toEqual([]);
    },
  );

  it('given a job-worker user task, when Camunda Modeler lints it, then it warns (the check can fail)', async () => {
    const xml = readFileSync(join(ROOT, 'processes', 'emergency-release.bpmn'), 'utf8').replace(
      '<zeebe:userTask />',
      '',
    );
    const reports = await linter.lint(xml);
    expect(reports.map((r) => r.category)).toEqual(['warn']);
  });
});
