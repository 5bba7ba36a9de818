import { DmnModdle, type DmnElement } from 'dmn-moddle';
import {
  checkFeel,
  checksumOf,
  DEFAULT_FEEL_LIMITS,
  evaluateFeel,
  measureFeel,
  type FeelLimits,
} from '../engine/index.js';
import type { FieldError } from '../platform/errors.js';
import { untrustedXmlProblem } from '../platform/xml-guard.js';
import {
  AGGREGATIONS,
  HIT_POLICIES,
  type Aggregation,
  type Decision,
  type DecisionTable,
  type DmnDocument,
  type HitPolicy,
  type TableInput,
  type TableOutput,
  type TableRule,
} from './decision-model.js';
import { checkUnaryTests, isAnyEntry } from './feel-cells.js';

/** The DMN 1.3 namespace, as Camunda Modeler writes it. */
export const DMN_NAMESPACE = 'https://www.omg.org/spec/DMN/20191111/MODEL/';

/** Whether an XML text is DMN (its root in the DMN 1.3 namespace, or an older DMN one), not BPMN. */
export function looksLikeDmn(xml: string): boolean {
  return /xmlns(?::\w+)?\s*=\s*["'](?:https?:\/\/www\.omg\.org\/spec\/DMN\/[^"']*)["']/.test(
    xml.slice(0, 4096),
  );
}

/** The longest decision id and name the decision table stores. */
export const MAX_DECISION_KEY_LENGTH = 255;

/**
 * Every FEEL cell of a document is parsed when it is read: all of them together stay within this many of one
 * expression's terms (a table of a thousand rules of five short cells each is about a tenth of it).
 */
const FEEL_TERMS_PER_DOCUMENT_FACTOR = 50;

/** A DMN file that cannot be deployed; `problems` names each decision, rule and cell at fault. */
export class InvalidDmnError extends Error {
  constructor(
    message: string,
    readonly problems: readonly FieldError[],
  ) {
    super(message);
    this.name = 'InvalidDmnError';
  }
}

/** Expression languages read as FEEL; anything else (JavaScript, JUEL, Groovy) would run code and is refused. */
const FEEL_LANGUAGES: ReadonlySet<string> = new Set([
  'feel',
  'https://www.omg.org/spec/dmn/20191111/feel/',
  'http://www.omg.org/spec/feel/20140401',
]);

/**
 * Parse and check a DMN 1.3 file: decision tables (every hit policy, COLLECT aggregations) and literal
 * expressions, with required decisions from the same file. Throws InvalidDmnError listing every problem.
 */
export async function readDmn(xml: string, limits: FeelLimits = DEFAULT_FEEL_LIMITS): Promise<DmnDocument> {
  const unsafe = untrustedXmlProblem(xml);
  if (unsafe) throw new InvalidDmnError(unsafe, [{ field: 'xml', message: unsafe }]);

  let root: DmnElement;
  let warnings: string[];
  try {
    const parsed = await new DmnModdle().fromXML(xml);
    root = parsed.rootElement;
    warnings = parsed.warnings.map((w) => oneLine(w.message));
  } catch (err) {
    const reason = oneLine(err instanceof Error ? err.message : String(err));
    const message = looksLikeDmn(xml)
      ? `not a readable DMN 1.3 document (namespace ${DMN_NAMESPACE}): ${reason}`
      : `not a DMN 1.3 document: its root must be <definitions xmlns="${DMN_NAMESPACE}">`;
    throw new InvalidDmnError(message, [{ field: 'xml', message }]);
  }
  // dmn-moddle reads past what it cannot place (unknown elements, duplicate ids) and only warns: the decisions
  // run would not be the ones drawn. Refuse such a file, as the BPMN deploy does.
  if (warnings.length > 0) {
    const problems = warnings.map((message) => ({
      field: /duplicate ID <([^>]+)>/.exec(message)?.[1] ?? 'xml',
      message,
    }));
    throw invalid(problems);
  }

  const reader = new DocumentReader(limits, languageOf(root) ?? 'feel');
  const decisions = reader.read(root);
  if (reader.problems.length > 0) throw invalid(reader.problems);
  return {
    id: String(root.id ?? ''),
    name: typeof root.name === 'string' && root.name ? root.name : String(root.id ?? ''),
    checksum: checksumOf(xml),
    decisions,
  };
}

function invalid(problems: readonly FieldError[]): InvalidDmnError {
  const reasons = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new InvalidDmnError(`the DMN file is not valid: ${reasons}`, problems);
}

class DocumentReader {
  readonly problems: FieldError[] = [];
  private termsSeen = 0;
  private readonly termBudget: number;

  constructor(
    private readonly limits: FeelLimits,
    private readonly defaultLanguage: string,
  ) {
    this.termBudget = limits.maxTerms * FEEL_TERMS_PER_DOCUMENT_FACTOR;
  }

  read(root: DmnElement): Map<string, Decision> {
    const elements = list(root.drgElement);
    const decisions = new Map<string, Decision>();
    for (const element of elements) {
      if (element.$type === 'dmn:Decision') {
        const decision = this.decision(element);
        if (decision) decisions.set(decision.id, decision);
      } else if (element.$type === 'dmn:BusinessKnowledgeModel') {
        this.fail(String(element.id ?? 'xml'), 'business knowledge models are not supported');
      }
    }
    if (elements.every((e) => e.$type !== 'dmn:Decision')) this.fail('xml', 'the file has no decision');
    for (const decision of decisions.values()) {
      for (const required of decision.requires) {
        if (!decisions.has(required))
          this.fail(decision.id, `requires decision "${required}", which is not in this file`);
      }
    }
    const cycle = findCycle(decisions);
    if (cycle) this.fail(cycle[0]!, `required decisions form a cycle: ${cycle.join(' → ')}`);
    return decisions;
  }

  private fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /** A FEEL expression (input expression, output entry, literal expression): undefined when it is fine. */
  private expressionProblem(text: string): string | undefined {
    // Cells are FEEL as they stand; a leading "=" (the BPMN marker of FEEL) would not parse when evaluated.
    if (text.startsWith('=')) return 'a DMN cell is FEEL without a leading "="';
    return this.budget(text) ?? checkFeel(text, this.limits);
  }

  private unaryTestsProblem(text: string): string | undefined {
    return this.budget(text) ?? checkUnaryTests(text, this.limits);
  }

  private budget(text: string): string | undefined {
    if (text.length <= this.limits.maxLength) this.termsSeen += measureFeel(text).terms;
    if (this.termsSeen > this.termBudget)
      return `the FEEL cells of a DMN file may have at most ${this.termBudget} terms together`;
    return undefined;
  }

  private languageProblem(element: DmnElement | undefined): string | undefined {
    const language = languageOf(element) ?? this.defaultLanguage;
    return FEEL_LANGUAGES.has(language.toLowerCase())
      ? undefined
      : `expression language "${language}" is not supported: only FEEL is (nothing deployed runs code)`;
  }

  private decision(element: DmnElement): Decision | undefined {
    const id = typeof element.id === 'string' ? element.id : '';
    const problemsBefore = this.problems.length;
    if (!id) {
      this.fail('xml', `a decision${element.name ? ` ("${String(element.name)}")` : ''} needs an id`);
      return undefined;
    }
    const name = typeof element.name === 'string' && element.name ? element.name : id;
    const at = (message: string) => this.fail(id, `decision "${id}": ${message}`);
    if (id.length > MAX_DECISION_KEY_LENGTH)
      at(`a decision id may have at most ${MAX_DECISION_KEY_LENGTH} characters`);
    if (name.length > MAX_DECISION_KEY_LENGTH)
      at(`a decision name may have at most ${MAX_DECISION_KEY_LENGTH} characters`);
    if (list(element.knowledgeRequirement).length > 0)
      at('knowledge requirements (business knowledge models) are not supported');

    const requires: string[] = [];
    for (const requirement of list(element.informationRequirement)) {
      const reference = requirement.requiredDecision as DmnElement | undefined;
      if (!reference) continue; // a required input: its value comes from the variables by name
      const href = typeof reference.href === 'string' ? reference.href : '';
      if (!href.startsWith('#') || href.length < 2)
        at(`required decision "${href}" must name a decision of this file ("#id")`);
      else requires.push(href.slice(1));
    }

    const variable = element.variable as DmnElement | undefined;
    const variableName = typeof variable?.name === 'string' && variable.name ? variable.name : undefined;

    const logic = element.decisionLogic as DmnElement | undefined;
    let read: Decision['logic'] | undefined;
    if (!logic) at('has no decision logic: draw a decision table or a literal expression');
    else if (logic.$type === 'dmn:DecisionTable') read = this.table(id, logic);
    else if (logic.$type === 'dmn:LiteralExpression') {
      const text = textOf(logic);
      const problem = !text
        ? 'the literal expression is empty'
        : (this.languageProblem(logic) ?? this.expressionProblem(text));
      if (problem) at(`literal expression: ${problem}`);
      else read = { kind: 'literalExpression', expression: text };
    } else
      at(
        `${logic.$type.replace('dmn:', '')} is not supported: only decision tables and literal expressions are`,
      );

    if (!read || this.problems.length > problemsBefore) return undefined;
    return { id, name, variableName, requires, logic: read };
  }

  private table(decisionId: string, table: DmnElement): DecisionTable | undefined {
    const fail = (field: string, message: string) => this.fail(field, `decision "${decisionId}": ${message}`);
    const hitPolicy = (typeof table.hitPolicy === 'string' ? table.hitPolicy : 'UNIQUE') as HitPolicy;
    if (!HIT_POLICIES.includes(hitPolicy)) {
      fail(decisionId, `hit policy "${hitPolicy}" is not one of ${HIT_POLICIES.join(', ')}`);
      return undefined;
    }
    let aggregation: Aggregation | undefined;
    if (table.aggregation !== undefined) {
      aggregation = String(table.aggregation) as Aggregation;
      if (hitPolicy !== 'COLLECT')
        fail(decisionId, `aggregation ${aggregation} is only allowed with hit policy COLLECT`);
      else if (!AGGREGATIONS.includes(aggregation))
        fail(decisionId, `aggregation "${aggregation}" is not one of ${AGGREGATIONS.join(', ')}`);
    }

    const inputs: TableInput[] = list(table.input).map((input, i) => {
      const expression = textOf(input.inputExpression as DmnElement | undefined);
      const title = labelOf(input) ?? (expression || `input ${i + 1}`);
      const field = `${decisionId}.${String(input.id ?? `input${i + 1}`)}`;
      const problem = !expression
        ? 'needs an input expression'
        : (this.languageProblem(input.inputExpression as DmnElement) ?? this.expressionProblem(expression));
      if (problem) fail(field, `input "${title}": ${problem}`);
      return { id: String(input.id ?? `input${i + 1}`), title, expression };
    });

    const rawOutputs = list(table.output);
    if (rawOutputs.length === 0) fail(decisionId, 'a decision table needs at least one output');
    if (aggregation && hitPolicy === 'COLLECT' && rawOutputs.length > 1)
      fail(
        decisionId,
        `aggregation ${aggregation} needs a table with one output, this one has ${rawOutputs.length}`,
      );
    const names = new Set<string>();
    const outputs: TableOutput[] = rawOutputs.map((output, i) => {
      const name = typeof output.name === 'string' ? output.name.trim() : '';
      const title = labelOf(output) ?? (name || `output ${i + 1}`);
      const field = `${decisionId}.${String(output.id ?? `output${i + 1}`)}`;
      if (rawOutputs.length > 1) {
        if (!name) fail(field, `output "${title}" needs a name: the table has several outputs`);
        else if (names.has(name)) fail(field, `two outputs are named "${name}"`);
        names.add(name);
      }
      const priorities = this.outputValues(output, field, title, hitPolicy);
      const defaultEntry = textOf(output.defaultOutputEntry as DmnElement | undefined) || undefined;
      if (defaultEntry) {
        const problem = this.expressionProblem(defaultEntry);
        if (problem) fail(field, `default output of "${title}": ${problem}`);
      }
      return {
        id: String(output.id ?? `output${i + 1}`),
        title,
        name: name || title,
        priorities,
        defaultEntry,
      };
    });
    if (
      (hitPolicy === 'PRIORITY' || hitPolicy === 'OUTPUT ORDER') &&
      outputs.length > 0 &&
      outputs.every((o) => o.priorities.length === 0)
    )
      fail(
        decisionId,
        `hit policy ${hitPolicy} orders by the output values: list them, highest priority first, on an output`,
      );

    const rules: TableRule[] = list(table.rule).map((rule, i) => {
      const id = String(rule.id ?? `rule${i + 1}`);
      const field = `${decisionId}.${id}`;
      const where = `rule ${i + 1} (${id})`;
      const inputEntries = list(rule.inputEntry);
      const outputEntries = list(rule.outputEntry);
      if (inputEntries.length !== inputs.length)
        fail(field, `${where} has ${inputEntries.length} input entries for ${inputs.length} inputs`);
      if (outputEntries.length !== outputs.length)
        fail(field, `${where} has ${outputEntries.length} output entries for ${outputs.length} outputs`);
      return {
        id,
        index: i + 1,
        inputEntries: inputEntries.map((entry, column) => {
          const text = textOf(entry);
          if (isAnyEntry(text)) return undefined;
          const problem = this.languageProblem(entry) ?? this.unaryTestsProblem(text);
          if (problem) fail(field, `${where}, input "${inputs[column]?.title ?? column + 1}": ${problem}`);
          return text;
        }),
        outputEntries: outputEntries.map((entry, column) => {
          const text = textOf(entry);
          if (!text) return undefined;
          const problem = this.languageProblem(entry) ?? this.expressionProblem(text);
          if (problem) fail(field, `${where}, output "${outputs[column]?.title ?? column + 1}": ${problem}`);
          return text;
        }),
      };
    });
    return { kind: 'decisionTable', hitPolicy, aggregation, inputs, outputs, rules };
  }

  /**
   * The output values of an output as a list of literals (`"standard","emergency","major"`), which give the
   * priority order of PRIORITY and OUTPUT ORDER; other hit policies do not use them.
   */
  private outputValues(output: DmnElement, field: string, title: string, hitPolicy: HitPolicy): unknown[] {
    const text = textOf(output.outputValues as DmnElement | undefined);
    if (!text || (hitPolicy !== 'PRIORITY' && hitPolicy !== 'OUTPUT ORDER')) return [];
    const problem = this.expressionProblem(`[${text}]`);
    if (problem) {
      this.fail(field, `output values of "${title}": ${problem}`);
      return [];
    }
    let values: unknown;
    try {
      values = evaluateFeel(`[${text}]`, {});
    } catch (err) {
      this.fail(field, `output values of "${title}": ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    if (
      !Array.isArray(values) ||
      values.some((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
    ) {
      this.fail(field, `output values of "${title}" must be a list of strings, numbers or booleans`);
      return [];
    }
    return values;
  }
}

/** A required-decision cycle as the ids along it (first repeated at the end), if there is one. */
function findCycle(decisions: ReadonlyMap<string, Decision>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done' || !decisions.has(id)) return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const required of decisions.get(id)!.requires) {
      const cycle = visit(required);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of decisions.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

function list(value: unknown): DmnElement[] {
  return Array.isArray(value) ? (value as DmnElement[]).filter(Boolean) : [];
}

/** The text of a literal expression or unary tests cell, trimmed; '' when there is none. */
function textOf(element: DmnElement | undefined): string {
  return typeof element?.text === 'string' ? element.text.trim() : '';
}

function labelOf(element: DmnElement): string | undefined {
  return typeof element.label === 'string' && element.label.trim() ? element.label.trim() : undefined;
}

function languageOf(element: DmnElement | undefined): string | undefined {
  const language = element?.expressionLanguage;
  return typeof language === 'string' && language.trim() ? language.trim() : undefined;
}

function oneLine(message: string): string {
  return message
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\s+/g, ' ')
    .trim();
}
