import vm from 'node:vm';
import {
  evaluate,
  FeelDate,
  FeelDateTime,
  FeelDuration,
  FeelTime,
  isFunction,
  isRange,
  parseUnaryTests,
  unaryTest,
} from 'feelin';
import { measureFeel, type FeelLimits } from '../engine/index.js';

/** A FEEL cell that could not be evaluated; the evaluator adds the decision, rule and inputs. */
export class FeelCellError extends Error {}

/** The evaluation outlived its time budget. */
export class DecisionTimeoutError extends Error {}

/**
 * Runs a whole decision evaluation under one watchdog (as the engine runs each FEEL expression): feelin is
 * synchronous and materialises every iteration, so only an interrupt stops a table whose cost comes from the
 * variables. One budget for the whole evaluation, not one per cell: a table of a thousand rules must not get a
 * thousand budgets.
 */
const watchdog = vm.createContext({ evaluation: undefined as (() => unknown) | undefined });
const runEvaluation = new vm.Script('evaluation()');

export function withinBudget<T>(evaluation: () => T, timeoutMs: number): T {
  const previous = watchdog.evaluation;
  watchdog.evaluation = evaluation;
  try {
    return runEvaluation.runInContext(watchdog, { timeout: timeoutMs }) as T;
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      throw new DecisionTimeoutError(`did not finish within ${timeoutMs} ms`);
    throw err;
  } finally {
    watchdog.evaluation = previous;
  }
}

/** An input entry that matches anything: "-" or an empty cell. */
export function isAnyEntry(text: string | undefined): boolean {
  const trimmed = (text ?? '').trim();
  return trimmed === '' || trimmed === '-';
}

/**
 * Parse only: an error message, or undefined when the unary tests are well-formed FEEL within the size limits
 * of one expression (the engine's checkFeel does the same for expressions).
 */
export function checkUnaryTests(text: string, limits: FeelLimits): string | undefined {
  if (text.length > limits.maxLength)
    return `a FEEL cell may have at most ${limits.maxLength} characters, this one has ${text.length}`;
  const { terms, depth } = measureFeel(text);
  if (terms > limits.maxTerms)
    return `a FEEL cell may have at most ${limits.maxTerms} terms, this one has ${terms}`;
  if (depth > limits.maxDepth)
    return `a FEEL cell may nest brackets at most ${limits.maxDepth} levels deep, this one ${depth}`;
  try {
    let error: string | undefined;
    parseUnaryTests(text, {}, undefined).iterate({
      enter(node) {
        if (node.type.isError && error === undefined) error = `FEEL syntax error at position ${node.from}`;
      },
    });
    return error;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** `"a"` or `"a", "b"`: string literals without escapes, the commonest input entry by far. */
const STRING_LIST = /^\s*"[^"\\]*"(?:\s*,\s*"[^"\\]*")*\s*$/;

/**
 * The string literals of an entry that is nothing but a list of them; undefined for any other entry. Such an
 * entry matches exactly when the input is one of the strings (FEEL compares a string with a non-string to null,
 * which does not match either), so it is tested without the interpreter, which parses the cell and copies the
 * whole variable context on every call.
 */
export function stringListOf(text: string): readonly string[] | undefined {
  if (!STRING_LIST.test(text)) return undefined;
  return [...text.matchAll(/"([^"\\]*)"/g)].map((m) => m[1]!);
}

/**
 * The variables a cell can reach: those whose name it contains. FEEL reaches a variable only by writing its name,
 * and feelin copies (and converts) every variable it is given on every call: a table of a few hundred cells
 * against a few hundred variables would spend its time copying them.
 */
export function variablesOf(text: string, context: Record<string, unknown>): Record<string, unknown> {
  const reachable: Record<string, unknown> = {};
  for (const name of Object.keys(context)) if (text.includes(name)) reachable[name] = context[name];
  return reachable;
}

/** Whether an input value passes an input entry; null (FEEL's "cannot tell") does not. */
export function passes(
  entry: string,
  value: unknown,
  context: Record<string, unknown>,
  strings: readonly string[] | undefined = stringListOf(entry),
): boolean {
  if (strings) return typeof value === 'string' && strings.includes(value);
  // A boolean literal matches the same boolean only (feelin compares it strictly with the input).
  if (entry === 'true' || entry === 'false') return value === (entry === 'true');
  try {
    return unaryTest(entry, { ...variablesOf(entry, context), '?': value }).value === true;
  } catch (err) {
    throw new FeelCellError(`cannot evaluate the unary tests ${quote(entry)}: ${messageOf(err)}`);
  }
}

/** The value of a FEEL expression cell as FEEL has it (dates as FEEL dates), for unary tests to compare. */
export function feelValueOf(expression: string, context: Record<string, unknown>): unknown {
  try {
    return evaluate(expression, variablesOf(expression, context)).value;
  } catch (err) {
    throw new FeelCellError(`cannot evaluate FEEL ${quote(expression)}: ${messageOf(err)}`);
  }
}

/** The value of a FEEL expression cell, as plain JSON data. */
export function valueOf(expression: string, context: Record<string, unknown>): unknown {
  return plain(feelValueOf(expression, context), expression);
}

/** A FEEL value as plain JSON data, or its text when it has none (for showing it in a message). */
export function shown(value: unknown): unknown {
  try {
    return plain(value, '');
  } catch {
    return String(value);
  }
}

/**
 * FEEL values as they can be stored in process variables: dates, times and durations as their ISO text (as
 * Camunda 8 returns them), contexts as objects; a function or a range is not a value a decision can give.
 */
function plain(value: unknown, expression: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (
    value instanceof FeelDate ||
    value instanceof FeelTime ||
    value instanceof FeelDateTime ||
    value instanceof FeelDuration
  )
    return String(value);
  if (isFunction(value) || isRange(value) || typeof value === 'function')
    throw new FeelCellError(`FEEL ${quote(expression)} gives a function or a range, not a value`);
  if (Array.isArray(value)) return value.map((item) => plain(item, expression));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[key] = plain(item, expression);
  return result;
}

export function quote(text: string): string {
  const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return `"${shown}"`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
