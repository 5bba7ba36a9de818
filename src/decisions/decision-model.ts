/**
 * A DMN document as the evaluator runs it: plain data read once from the XML (no moddle objects), so one parse
 * serves every evaluation of a deployed version.
 */

export const HIT_POLICIES = [
  'UNIQUE',
  'FIRST',
  'PRIORITY',
  'ANY',
  'COLLECT',
  'RULE ORDER',
  'OUTPUT ORDER',
] as const;
export type HitPolicy = (typeof HIT_POLICIES)[number];

export const AGGREGATIONS = ['SUM', 'MIN', 'MAX', 'COUNT'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface TableInput {
  readonly id: string;
  /** What a person reads in the column head: the label, else the expression. */
  readonly title: string;
  /** FEEL expression whose value the input entries test. */
  readonly expression: string;
}

export interface TableOutput {
  readonly id: string;
  readonly title: string;
  /** Key of this output in an object result; only used when the table has several outputs. */
  readonly name: string;
  /** The output values in priority order (first is highest), for PRIORITY and OUTPUT ORDER. */
  readonly priorities: readonly unknown[];
  /** FEEL expression for the result when no rule matches. */
  readonly defaultEntry?: string;
}

export interface TableRule {
  readonly id: string;
  /** 1-based position, as the modeler shows it. */
  readonly index: number;
  /** FEEL unary tests per input; undefined for "-" or an empty cell (anything matches). */
  readonly inputEntries: ReadonlyArray<string | undefined>;
  /** FEEL expression per output; undefined for an empty cell (null). */
  readonly outputEntries: ReadonlyArray<string | undefined>;
}

export interface DecisionTable {
  readonly kind: 'decisionTable';
  readonly hitPolicy: HitPolicy;
  readonly aggregation?: Aggregation;
  readonly inputs: readonly TableInput[];
  readonly outputs: readonly TableOutput[];
  readonly rules: readonly TableRule[];
}

export interface LiteralExpression {
  readonly kind: 'literalExpression';
  readonly expression: string;
}

export interface Decision {
  readonly id: string;
  readonly name: string;
  /**
   * The name of the decision's variable, when the file gives one. A dependent decision finds the result under the
   * decision id, and under this name too.
   */
  readonly variableName?: string;
  /** Ids of the decisions this one requires, evaluated before it. */
  readonly requires: readonly string[];
  readonly logic: DecisionTable | LiteralExpression;
}

export interface DmnDocument {
  /** The id of the definitions element (the decision requirements graph). */
  readonly id: string;
  readonly name: string;
  readonly checksum: string;
  /** Decisions by id, in document order. */
  readonly decisions: ReadonlyMap<string, Decision>;
}
