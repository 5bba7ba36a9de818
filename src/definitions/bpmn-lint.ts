import type { ModdleElement } from 'bpmn-moddle';
import { Linter } from 'bpmnlint';
import NodeResolver from 'bpmnlint/lib/resolver/node-resolver';
import type { FieldError } from '../platform/errors.js';

interface LintReport {
  id?: string;
  message: string;
  category?: string;
}

const resolver = new NodeResolver();

/**
 * bpmnlint's recommended rules, as warnings: they never block a deployment. A fresh Linter per file: the
 * Linter caches rule instances, and some rules (no-duplicate-sequence-flows) keep state across lint calls, so
 * a shared one reported every flow of a file linted before as a duplicate and held on to every file it saw.
 */
export async function lintWarnings(root: ModdleElement): Promise<FieldError[]> {
  const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver });
  const reports = (await linter.lint(root)) as Record<string, LintReport[]>;
  return Object.entries(reports).flatMap(([rule, items]) =>
    items.map((item) => ({ field: item.id ?? '(process)', message: `${rule}: ${item.message}` })),
  );
}
