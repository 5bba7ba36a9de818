import { evaluate, parseExpression } from 'feelin';

/** Keys bpmn-elements writes into process variables from its own messages; never user data. */
export const ENGINE_VARIABLE_KEYS: ReadonlySet<string> = new Set(['fields', 'content', 'properties']);

export class FeelError extends Error {}

export function isFeel(expression: unknown): expression is string {
  return typeof expression === 'string' && expression.trimStart().startsWith('=');
}

/** Parse only: returns an error message, or undefined when the expression is well-formed FEEL. */
export function checkFeel(expression: string): string | undefined {
  const body = expression.trimStart().replace(/^=/, '');
  if (body.trim() === '') return 'empty FEEL expression';
  try {
    const tree = parseExpression(body, {}, undefined);
    let error: string | undefined;
    tree.iterate({
      enter(node) {
        if (node.type.isError && error === undefined) error = `FEEL syntax error at position ${node.from}`;
      },
    });
    return error;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Evaluate a FEEL expression (with or without its leading "=") against the given variables. */
export function evaluateFeel(expression: string, variables: Record<string, unknown>): unknown {
  const body = expression.trimStart().replace(/^=/, '');
  try {
    return evaluate(body, variables).value;
  } catch (err) {
    throw new FeelError(
      `cannot evaluate FEEL "${body}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Process variables as FEEL sees them: the engine's own message keys left out. */
export function userVariables(variables: Record<string, unknown> | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(variables ?? {})) {
    if (!ENGINE_VARIABLE_KEYS.has(key)) result[key] = value;
  }
  return result;
}

/**
 * The engine's expression hook. FEEL (a value starting with "=") is interpreted by feelin; anything else
 * is returned as written. The engine's own `${...}` templates are deliberately not supported: they can
 * reach into services and functions, and deployed BPMN must not run code.
 */
export const feelExpressions = {
  resolveExpression(expression: unknown, context: { environment?: { variables?: Record<string, unknown> } }) {
    if (!isFeel(expression)) return expression;
    return evaluateFeel(expression, userVariables(context?.environment?.variables));
  },
  isExpression(text: unknown): boolean {
    return isFeel(text);
  },
  hasExpression(text: unknown): boolean {
    return isFeel(text);
  },
};
