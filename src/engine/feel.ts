import { evaluate, parseExpression } from 'feelin';
import { runWithinTime, TimeExceededError } from './within-time.js';
import { BoundedMap } from '../common/bounded-map.js';

/** Keys bpmn-elements writes into process variables from its own messages; never user data. */
export const ENGINE_VARIABLE_KEYS: ReadonlySet<string> = new Set(['fields', 'content', 'properties']);

export class FeelError extends Error {}

/** What one FEEL expression may cost: checked at deploy (size, shape, literal iteration) and at run time (time). */
export interface FeelLimits {
  /** Longest expression text, checked before it is parsed. */
  readonly maxLength: number;
  /** Deepest nesting of the parse tree (the evaluator recurses once per level). */
  readonly maxDepth: number;
  /** Most nodes in the parse tree. */
  readonly maxTerms: number;
  /** Most iterations the literal ranges and lists of `for`, `some` and `every` may ask for, nested ones multiplied. */
  readonly maxIterations: number;
  /** Time one evaluation may take; what it allocates is bounded by the same clock. */
  readonly evaluationTimeoutMs: number;
}

export const DEFAULT_FEEL_LIMITS: FeelLimits = {
  maxLength: 4_000,
  maxDepth: 50,
  maxTerms: 1_000,
  maxIterations: 100_000,
  evaluationTimeoutMs: 1_000,
};

export function isFeel(expression: unknown): expression is string {
  return typeof expression === 'string' && expression.trimStart().startsWith('=');
}

/** FEEL's tokens, roughly: string literals, numbers, names, two-character operators, any other character. */
const FEEL_TOKEN = /"(?:[^"\\]|\\.)*"?|\d+(?:\.\d+)?|[\p{L}_?$][\p{L}\p{N}_?$]*|\.\.|[<>!]=|\*\*|\S/gu;

/** Terms of an expression and its deepest bracket nesting, counted in one linear scan without the parser. */
export function measureFeel(body: string): { terms: number; depth: number } {
  let terms = 0;
  let depth = 0;
  let deepest = 0;
  for (const [token] of body.matchAll(FEEL_TOKEN)) {
    terms++;
    if (token === '(' || token === '[' || token === '{') deepest = Math.max(deepest, ++depth);
    else if (token === ')' || token === ']' || token === '}') depth = Math.max(0, depth - 1);
  }
  return { terms, depth: deepest };
}

/**
 * Parse only: returns an error message, or undefined when the expression is well-formed FEEL within the limits.
 * Size and shape are checked before the parser sees the text: feelin's parser costs about a tenth of a
 * millisecond per term, and its tree many times the source in memory.
 */
export function checkFeel(expression: string, limits: FeelLimits = DEFAULT_FEEL_LIMITS): string | undefined {
  if (expression.length > limits.maxLength)
    return `a FEEL expression may have at most ${limits.maxLength} characters, this one has ${expression.length}`;
  const body = expression.trimStart().replace(/^=/, '');
  if (body.trim() === '') return 'empty FEEL expression';
  const { terms, depth } = measureFeel(body);
  if (terms > limits.maxTerms)
    return `a FEEL expression may have at most ${limits.maxTerms} terms, this one has ${terms}`;
  if (depth > limits.maxDepth)
    return `a FEEL expression may nest brackets at most ${limits.maxDepth} levels deep, this one ${depth}`;
  try {
    const tree = parseExpression(body, {}, undefined);
    let error: string | undefined;
    tree.iterate({
      enter(node) {
        if (node.type.isError && error === undefined) error = `FEEL syntax error at position ${node.from}`;
      },
    });
    return error ?? iterationProblem(tree.topNode, body, 1, limits.maxIterations);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

interface FeelNode {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly firstChild: FeelNode | null;
  readonly nextSibling: FeelNode | null;
  getChild(name: string): FeelNode | null;
  getChildren(name: string): FeelNode[];
}

/**
 * feelin materialises every iteration (a range becomes a list, `a in x, b in y` their cartesian product), so a
 * literal `1..1000000000` is refused here rather than met at run time. `outer`: iterations of the enclosing loops.
 */
function iterationProblem(node: FeelNode, text: string, outer: number, max: number): string | undefined {
  let iterations = outer;
  if (node.name === 'ForExpression' || node.name === 'QuantifiedExpression') {
    for (const inExpression of node.getChild('InExpressions')?.getChildren('InExpression') ?? []) {
      const context = inExpression.getChild('IterationContext');
      const size = context ? literalSize(context, text) : undefined;
      if (size === 'fractional')
        return `the range ${text.slice(context!.from, context!.to)} needs whole-number bounds`;
      iterations *= size ?? 1;
      if (iterations > max) {
        const what = text.slice(node.from, Math.min(node.to, node.from + 60));
        return `"${what}" iterates ${iterations} times (nested ranges and lists multiplied); at most ${max} are allowed`;
      }
    }
  }
  for (let child = node.firstChild; child; child = child.nextSibling) {
    const problem = iterationProblem(child, text, iterations, max);
    if (problem) return problem;
  }
  return undefined;
}

/** How many items an iteration context of literals yields; undefined when it depends on variables. */
function literalSize(context: FeelNode, text: string): number | 'fractional' | undefined {
  const list = context.getChild('List');
  if (list) {
    let items = 0;
    for (let child = list.firstChild; child; child = child.nextSibling) {
      if (child.name !== '[' && child.name !== ']') items++;
    }
    return items;
  }
  const bounds = context.getChildren('NumericLiteral');
  if (bounds.length !== 2 || !context.getChild('..')) return undefined;
  const [start, end] = bounds.map((b) => Number(text.slice(b.from, b.to).replace(/\s+/g, '')));
  // feelin steps a number range by one until it meets the end: fractional bounds never meet it.
  if (!Number.isInteger(start) || !Number.isInteger(end)) return 'fractional';
  return Math.abs(end! - start!) + 1;
}

const FEEL_NAME = String.raw`[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*`;
const FEEL_OPERAND = String.raw`(?:${FEEL_NAME}|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)`;
const FEEL_TERM = String.raw`(?:${FEEL_OPERAND}\s*(?:!=|<=|>=|=|<|>)\s*${FEEL_OPERAND}|${FEEL_NAME})`;
const PLAIN_COMPARISON = new RegExp(String.raw`^\s*${FEEL_TERM}(?:\s+(?:and|or)\s+${FEEL_TERM})*\s*$`, 'u');
/** Expressions already classified by isPlainComparison (a definition's few; the map restarts past the cap). */
const plainComparisons = new Map<string, boolean>();
const PLAIN_COMPARISONS_KEPT = 10_000;

/**
 * Whether an expression is only names, paths and literals compared and joined by `and` / `or`
 * (`decision = "approve" or risk.level > 2`): no function, range, list, filter or iteration, so its evaluation
 * takes time linear in its variables' size and needs no watchdog (starting one costs more than such an
 * evaluation). Anything else runs under the watchdog.
 */
export function isPlainComparison(body: string): boolean {
  let plain = plainComparisons.get(body);
  if (plain === undefined) {
    plain = body.length <= 500 && PLAIN_COMPARISON.test(body);
    if (plainComparisons.size >= PLAIN_COMPARISONS_KEPT) plainComparisons.clear();
    plainComparisons.set(body, plain);
  }
  return plain;
}

/** Plain comparisons already evaluated, by expression and the values it can see (the oldest go past the cap). */
const PLAIN_RESULTS_KEPT = 10_000;
const plainResults = new BoundedMap<string, unknown>(PLAIN_RESULTS_KEPT);

/**
 * A plain comparison (see isPlainComparison) evaluated in the context of only the variables whose names occur in
 * its text: no other name can be read by it or change how it is parsed, and feelin's evaluation takes time with the
 * size of its whole context (the process's variables, forms' answers included). When those variables are all
 * primitive values the result is remembered: the same conditions meet the same decisions in release after release.
 */
function evaluatePlain(body: string, variables: Record<string, unknown>): unknown {
  const seen: Record<string, unknown> = {};
  const names: string[] = [];
  let primitive = true;
  for (const name in variables) {
    if (!Object.hasOwn(variables, name) || !body.includes(name)) continue;
    const value = variables[name];
    seen[name] = value;
    names.push(name);
    if (value !== null && value !== undefined && !['string', 'number', 'boolean'].includes(typeof value))
      primitive = false;
  }
  if (!primitive) return evaluate(body, seen).value;
  // JSON of strings and type names: no two sets of values share a key (a number as text: NaN and Infinity too).
  const key = JSON.stringify([
    body,
    ...names.sort().map((name) => {
      const value = seen[name];
      return [name, typeof value, typeof value === 'number' ? String(value) : (value ?? null)];
    }),
  ]);
  if (plainResults.has(key)) return plainResults.get(key);
  const value: unknown = evaluate(body, seen).value;
  if (value === null || typeof value !== 'object') {
    plainResults.set(key, value);
  }
  return value;
}

/**
 * Evaluate a FEEL expression (with or without its leading "=") against the given variables, within a time budget
 * (a plain comparison, see isPlainComparison, runs without one).
 */
export function evaluateFeel(
  expression: string,
  variables: Record<string, unknown>,
  timeoutMs: number = DEFAULT_FEEL_LIMITS.evaluationTimeoutMs,
): unknown {
  const body = expression.trimStart().replace(/^=/, '');
  const shown = body.length > 200 ? `${body.slice(0, 200)}…` : body;
  try {
    if (isPlainComparison(body)) return evaluatePlain(body, variables);
    return runWithinTime(() => evaluate(body, variables).value, timeoutMs);
  } catch (err) {
    if (err instanceof TimeExceededError)
      throw new FeelError(`FEEL "${shown}" did not finish within ${timeoutMs} ms`);
    throw new FeelError(
      `cannot evaluate FEEL "${shown}": ${err instanceof Error ? err.message : String(err)}`,
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

/** What the engine passes along with an expression: the element's message and the environment. */
export interface ExpressionContext {
  readonly environment?: { readonly variables?: Record<string, unknown> };
  readonly content?: { readonly id?: unknown; readonly scopeVariables?: unknown };
}

/**
 * The variables an expression sees: the process's, under the local scopes it sits in (an inner instance of a
 * multi-instance body, a sub-process's), the innermost last. A sub-process's environment holds the message that
 * started it under `content`, and with it that execution's local scope.
 */
export function visibleVariables(context: ExpressionContext | undefined): Record<string, unknown> {
  const variables = context?.environment?.variables;
  const outer = (variables?.content as ExpressionContext['content'] | undefined)?.scopeVariables;
  const inner = context?.content?.scopeVariables;
  return {
    ...userVariables(variables),
    ...(outer && typeof outer === 'object' ? outer : {}),
    ...(inner && typeof inner === 'object' ? inner : {}),
  };
}

/**
 * Checks a value an expression produced before the engine uses it (e.g. a timer's duration); returns the problem,
 * or undefined when the value may be used.
 */
export type ResolvedValueCheck = (
  expression: string,
  value: unknown,
  context: ExpressionContext,
) => string | undefined;

/**
 * The engine's expression hook. FEEL (a value starting with "=") is interpreted by feelin, each evaluation
 * within `timeoutMs`; anything else is returned as written. The engine's own `${...}` templates are
 * deliberately not supported: they can reach into services and functions, and deployed BPMN must not run code.
 * A failure names the element it happened at, so the incident it becomes points there.
 */
export function createFeelExpressions(
  timeoutMs: number = DEFAULT_FEEL_LIMITS.evaluationTimeoutMs,
  checkValue?: ResolvedValueCheck,
) {
  return {
    resolveExpression(expression: unknown, context: ExpressionContext) {
      if (!isFeel(expression)) return expression;
      const elementId = typeof context?.content?.id === 'string' ? context.content.id : undefined;
      const at = elementId ? `${elementId}: ` : '';
      let value: unknown;
      try {
        value = evaluateFeel(expression, visibleVariables(context), timeoutMs);
      } catch (err) {
        throw new FeelError(`${at}${err instanceof Error ? err.message : String(err)}`);
      }
      const problem = checkValue?.(expression, value, context);
      if (problem) throw new FeelError(`${at}${problem}`);
      return value;
    },
    isExpression(text: unknown): boolean {
      return isFeel(text);
    },
    hasExpression(text: unknown): boolean {
      return isFeel(text);
    },
  };
}

export const feelExpressions = createFeelExpressions();
