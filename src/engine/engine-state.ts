import type { StoredEngineState } from './engine-host.js';

/**
 * Parts of a stored state that hold messages and user data rather than the engine's structure: an object named
 * `environment` inside them is not the engine's.
 */
const OPAQUE_KEYS: ReadonlySet<string> = new Set([
  'variables',
  'content',
  'output',
  'message',
  'broker',
  'fields',
  'properties',
  'settings',
]);

/**
 * A copy of a stored state with top-level process variables set. bpmn-engine saves a copy of the variables with
 * every environment (the definition's, the process's, each running sub-process's) and a resumed engine reads them
 * from there: each copy takes the values, so the gateways after the wait route on them.
 */
export function withVariables(
  state: StoredEngineState,
  variables: Readonly<Record<string, unknown>>,
): StoredEngineState {
  const copy = structuredClone(state);
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'environment' && isObject(value) && isObject(value.variables)) {
        Object.assign(value.variables, structuredClone(variables));
      }
      if (!OPAQUE_KEYS.has(key)) visit(value);
    }
  };
  visit(copy);
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
