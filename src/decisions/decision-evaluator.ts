import { DEFAULT_FEEL_LIMITS } from '../engine/index.js';
import type { Decision, DecisionTable, DmnDocument, TableRule } from './decision-model.js';
import {
  DecisionTimeoutError,
  FeelCellError,
  feelValueOf,
  passes,
  shown,
  valueOf,
  withinBudget,
} from './feel-cells.js';

/** One decision evaluated on the way: the asked one, or one it required. */
export interface EvaluatedDecision {
  readonly decisionId: string;
  readonly decisionName: string;
  readonly output: unknown;
  /** Ids of the rules that matched, in table order (decision tables only). */
  readonly matchedRules: readonly string[];
  /** The value of each input column, by its title (decision tables only). */
  readonly inputs: Readonly<Record<string, unknown>>;
}

/**
 * The result of a decision, shaped as Camunda 8 shapes it: a table with one output gives the value, with several
 * an object by output name; COLLECT (without aggregation), RULE ORDER and OUTPUT ORDER give a list of those; no
 * matching rule gives the outputs' defaults, or null.
 */
export interface DecisionResult {
  readonly decisionId: string;
  readonly decisionName: string;
  readonly output: unknown;
  /** Every decision evaluated: required ones first, the asked one last. */
  readonly evaluated: readonly EvaluatedDecision[];
}

/**
 * A decision that could not give a result: no such decision, a hit policy violated (two rules of a UNIQUE table,
 * different outputs of an ANY table), a cell that failed, or the time budget spent. Names the decision and the
 * values it was deciding on, so the incident it becomes says what to fix.
 */
export class DecisionEvaluationError extends Error {
  constructor(
    message: string,
    /** The decision that failed (a required one, when that is where it failed). */
    readonly decisionId: string,
    /** The input values of that decision, by column title (the variables, for a literal expression). */
    readonly inputs: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DecisionEvaluationError';
  }
}

export interface EvaluationOptions {
  /** Time the whole evaluation (with its required decisions) may take. */
  readonly timeoutMs?: number;
}

/** Evaluate a decision of a document, its required decisions first, against the variables. */
export function evaluateDecision(
  document: DmnDocument,
  decisionId: string,
  variables: Readonly<Record<string, unknown>>,
  { timeoutMs = DEFAULT_FEEL_LIMITS.evaluationTimeoutMs }: EvaluationOptions = {},
): DecisionResult {
  const decision = document.decisions.get(decisionId);
  if (!decision)
    throw new DecisionEvaluationError(
      `decision "${decisionId}" is not in the DMN file "${document.id}" (it has ${[...document.decisions.keys()].join(', ')})`,
      decisionId,
      {},
    );
  const run = new Evaluation(document, variables);
  try {
    const output = withinBudget(() => run.evaluate(decision, []), timeoutMs);
    return { decisionId, decisionName: decision.name, output, evaluated: run.evaluated };
  } catch (err) {
    if (err instanceof DecisionTimeoutError) {
      const at = run.current ?? decision;
      throw failure(at, run.currentInputs, run.requiredBy, err.message);
    }
    throw err;
  }
}

class Evaluation {
  readonly evaluated: EvaluatedDecision[] = [];
  private readonly results = new Map<string, unknown>();
  /** Where the evaluation is, for a timeout to name. */
  current: Decision | undefined;
  currentInputs: Record<string, unknown> = {};
  requiredBy: readonly string[] = [];

  constructor(
    private readonly document: DmnDocument,
    private readonly variables: Readonly<Record<string, unknown>>,
  ) {}

  /** `requiredBy`: the decisions waiting on this one, outermost first. */
  evaluate(decision: Decision, requiredBy: readonly string[]): unknown {
    if (this.results.has(decision.id)) return this.results.get(decision.id);
    // A required decision's result is in the context under its id (and its variable name), as in Camunda 8.
    const context: Record<string, unknown> = { ...this.variables };
    for (const id of decision.requires) {
      const required = this.document.decisions.get(id)!;
      const result = this.evaluate(required, [...requiredBy, decision.id]);
      context[id] = result;
      if (required.variableName) context[required.variableName] = result;
    }
    this.current = decision;
    this.requiredBy = requiredBy;
    this.currentInputs = {};
    let output: unknown;
    let matchedRules: readonly string[] = [];
    try {
      if (decision.logic.kind === 'literalExpression') {
        this.currentInputs = context;
        output = valueOf(decision.logic.expression, context);
      } else {
        ({ output, matchedRules } = this.table(decision.logic, context));
      }
    } catch (err) {
      if (err instanceof FeelCellError || err instanceof HitPolicyViolation)
        throw failure(decision, this.currentInputs, requiredBy, err.message);
      throw err;
    }
    const inputs = decision.logic.kind === 'decisionTable' ? this.currentInputs : {};
    this.evaluated.push({
      decisionId: decision.id,
      decisionName: decision.name,
      output,
      matchedRules,
      inputs,
    });
    this.results.set(decision.id, output);
    return output;
  }

  private table(
    table: DecisionTable,
    context: Record<string, unknown>,
  ): { output: unknown; matchedRules: readonly string[] } {
    const values: unknown[] = [];
    for (const input of table.inputs) {
      let value: unknown;
      try {
        value = feelValueOf(input.expression, context);
      } catch (err) {
        throw new FeelCellError(`input "${input.title}": ${(err as Error).message}`);
      }
      values.push(value);
      this.currentInputs[input.title] = shown(value);
    }
    const matched: TableRule[] = [];
    for (const rule of table.rules) {
      let all = true;
      for (let i = 0; i < table.inputs.length && all; i++) {
        const entry = rule.inputEntries[i];
        if (entry === undefined) continue;
        try {
          all = passes(entry, values[i], context);
        } catch (err) {
          throw new FeelCellError(
            `${ruleName(rule)}, input "${table.inputs[i]!.title}": ${(err as Error).message}`,
          );
        }
      }
      if (all) matched.push(rule);
    }
    const matchedRules = matched.map((rule) => rule.id);
    if (matched.length === 0) return { output: defaults(table, context), matchedRules };
    const rows = (table.hitPolicy === 'FIRST' ? matched.slice(0, 1) : matched).map((rule) =>
      outputsOf(table, rule, context),
    );
    return { output: applyHitPolicy(table, matched, rows), matchedRules };
  }
}

/** A hit policy the matching rules break; becomes a DecisionEvaluationError. */
class HitPolicyViolation extends Error {}

type Row = Record<string, unknown>;

function outputsOf(table: DecisionTable, rule: TableRule, context: Record<string, unknown>): Row {
  const row: Row = {};
  table.outputs.forEach((output, i) => {
    const entry = rule.outputEntries[i];
    try {
      row[output.name] = entry === undefined ? null : valueOf(entry, context);
    } catch (err) {
      throw new FeelCellError(`${ruleName(rule)}, output "${output.title}": ${(err as Error).message}`);
    }
  });
  return row;
}

/** No rule matched: the outputs' default entries, or null when the table has none. */
function defaults(table: DecisionTable, context: Record<string, unknown>): unknown {
  if (table.outputs.every((output) => output.defaultEntry === undefined)) return null;
  const row: Row = {};
  for (const output of table.outputs) {
    try {
      row[output.name] = output.defaultEntry === undefined ? null : valueOf(output.defaultEntry, context);
    } catch (err) {
      throw new FeelCellError(`default output "${output.title}": ${(err as Error).message}`);
    }
  }
  return single(table, row);
}

function applyHitPolicy(table: DecisionTable, matched: TableRule[], rows: Row[]): unknown {
  switch (table.hitPolicy) {
    case 'FIRST':
      return single(table, rows[0]!);
    case 'UNIQUE':
      if (rows.length > 1)
        throw new HitPolicyViolation(
          `hit policy UNIQUE allows one matching rule, ${rows.length} matched: ${matched.map(ruleName).join(', ')}`,
        );
      return single(table, rows[0]!);
    case 'ANY': {
      const distinct = new Set(rows.map((row) => JSON.stringify(row)));
      if (distinct.size > 1)
        throw new HitPolicyViolation(
          `hit policy ANY needs the matching rules to agree, ${matched.map(ruleName).join(', ')} give ${[...distinct].join(' and ')}`,
        );
      return single(table, rows[0]!);
    }
    case 'PRIORITY':
      return single(table, byPriority(table, rows)[0]!);
    case 'OUTPUT ORDER':
      return byPriority(table, rows).map((row) => single(table, row));
    case 'RULE ORDER':
      return rows.map((row) => single(table, row));
    case 'COLLECT':
      return collect(table, matched, rows);
  }
}

function collect(table: DecisionTable, matched: TableRule[], rows: Row[]): unknown {
  if (!table.aggregation) return rows.map((row) => single(table, row));
  if (table.aggregation === 'COUNT') return rows.length;
  const name = table.outputs[0]!.name;
  const numbers = rows.map((row, i) => {
    const value = row[name];
    if (typeof value !== 'number')
      throw new HitPolicyViolation(
        `COLLECT ${table.aggregation} needs numbers, ${ruleName(matched[i]!)} gives ${JSON.stringify(value)}`,
      );
    return value;
  });
  switch (table.aggregation) {
    case 'SUM':
      return numbers.reduce((sum, n) => sum + n, 0);
    case 'MIN':
      return Math.min(...numbers);
    case 'MAX':
      return Math.max(...numbers);
  }
}

/**
 * Rows ordered by their outputs' positions in the output values lists (first listed first), output by output;
 * a value not in its list comes after the listed ones, and rows that tie keep their rule order.
 */
function byPriority(table: DecisionTable, rows: Row[]): Row[] {
  const rank = (row: Row): number[] =>
    table.outputs
      .filter((output) => output.priorities.length > 0)
      .map((output) => {
        const at = output.priorities.indexOf(row[output.name]);
        return at === -1 ? output.priorities.length : at;
      });
  const ranked = rows.map((row) => ({ row, rank: rank(row) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i]! - b.rank[i]!;
    return 0;
  });
  return ranked.map(({ row }) => row);
}

/** One rule's outputs as the result shows them: the value for a single-output table, else the object. */
function single(table: DecisionTable, row: Row): unknown {
  return table.outputs.length === 1 ? row[table.outputs[0]!.name] : row;
}

function ruleName(rule: TableRule): string {
  return `rule ${rule.index} (${rule.id})`;
}

function failure(
  decision: Decision,
  inputs: Readonly<Record<string, unknown>>,
  requiredBy: readonly string[],
  reason: string,
): DecisionEvaluationError {
  const chain =
    requiredBy.length > 0 ? ` (required by ${requiredBy.map((id) => `"${id}"`).join(' ← ')})` : '';
  const named = decision.name !== decision.id ? ` (${decision.name})` : '';
  return new DecisionEvaluationError(
    `decision "${decision.id}"${named}${chain} failed: ${reason}; inputs: ${describeInputs(inputs)}`,
    decision.id,
    inputs,
  );
}

/** Input values as a person reads them in an incident: `风险等级 = "高", 影响范围 = "全公司"`, kept short. */
export function describeInputs(inputs: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(inputs).map(([name, value]) => {
    let shown: string;
    try {
      shown = JSON.stringify(value) ?? 'null';
    } catch {
      shown = String(value);
    }
    return `${name} = ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown}`;
  });
  if (parts.length === 0) return 'none';
  const text = parts.join(', ');
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
