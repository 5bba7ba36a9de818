import { isFeel } from './feel.js';
import type { VariableMapping } from './process-model-types.js';

/** Evaluates a FEEL expression (within the host's bounds) against the variables given, for the element named. */
export type MappingEvaluator = (expression: string, variables: Record<string, unknown>) => unknown;

/**
 * Apply zeebe:input or zeebe:output mappings, in order, as Camunda 8 does: each source (FEEL, or a literal when it
 * does not start with "=") is evaluated against `visible` and what the mappings before it produced, and lands in
 * its target, a name or a nested path (`release.approval.by`) that builds or extends a context.
 */
export function applyMappings(
  mappings: readonly VariableMapping[],
  visible: Record<string, unknown>,
  evaluate: MappingEvaluator,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { source, target } of mappings) {
    const value = isFeel(source) ? evaluate(source, { ...visible, ...result }) : source;
    const [head, ...path] = target.split('.').map((p) => p.trim());
    if (!head) continue;
    if (path.length === 0) {
      result[head] = value ?? null;
      continue;
    }
    const base = head in result ? result[head] : visible[head];
    result[head] = withPath(base, path, value ?? null);
  }
  return result;
}

/** A copy of `base` (a context, else a new one) with `value` at `path`. */
function withPath(base: unknown, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = isContext(base) ? { ...base } : {};
  const [key, ...rest] = path;
  copy[key!] = rest.length === 0 ? value : withPath(copy[key!], rest, value);
  return copy;
}

function isContext(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
