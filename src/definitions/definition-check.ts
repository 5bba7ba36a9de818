import { createHash } from 'node:crypto';
import {
  BpmnParseError,
  parseDocument,
  type BpmnDocument,
  type ImportWarning,
  type ProcessModel,
} from '../engine/index.js';
import type { FieldError } from '../platform/errors.js';
import { untrustedXmlProblem } from '../platform/xml-guard.js';
import { decodeXml } from '../platform/xml-text.js';
import { lintWarnings } from './bpmn-lint.js';
import {
  externalJobTypes,
  processWarnings,
  the,
  typeWords,
  validateProcess,
  type DefinitionLimits,
} from './definition-validator.js';

/** More flow elements than any release flow needs; keeps a hostile file from costing a lot to run. */
export const MAX_ELEMENTS = 2000;

export interface DefinitionCheckOptions {
  /** Which job types this service's own workers carry out. */
  readonly hasHandler: (jobType: string) => boolean;
  readonly hasForm: (formKey: string) => boolean;
  readonly limits: DefinitionLimits;
  /**
   * A job type no handler here carries out: `warn` (work for external job workers) for a designer's deploy,
   * `refuse` for the shipped flows, which only this service's workers run.
   */
  readonly externalJobTypes: 'warn' | 'refuse';
  /** The charset the sender named for bytes (an HTTP content type); otherwise the file's own declaration. */
  readonly charset?: string;
  /**
   * The time timer dates and cycles are measured from ("at most N days ahead"): the service clock, which schedules
   * the timer start events of what is deployed; the system's when not given.
   */
  readonly now?: () => Date;
}

export interface DefinitionCheck {
  /** The file as text (as stored): set once its bytes could be read. */
  readonly xml?: string;
  /**
   * The processes to deploy, each its own definition (Camunda 8: every executable process of a file, in the file's
   * order; the others are not deployed): empty when there is an error.
   */
  readonly models: readonly ProcessModel[];
  /** Every refusal, each naming its element (or `xml`, the file). */
  readonly errors: readonly FieldError[];
  readonly warnings: readonly FieldError[];
}

/**
 * Everything a deploy checks, without storage: the deploy endpoint, its dry run, the start-up deploy and the
 * corpus script use this one function. A problem of the whole file (no executable process, content
 * the reader skipped) does not stop the checks of the elements: a designer sees every reason at once. Only a
 * file that cannot be read, is unsafe to read or is too big to check element by element ends early.
 */
export async function checkDefinition(
  source: string | Uint8Array,
  options: DefinitionCheckOptions,
): Promise<DefinitionCheck> {
  return checkedBefore.check(source, options, uncachedCheck);
}

type Question = readonly ['handler' | 'form', string, boolean];

/**
 * The checks this process made lately, by the file's bytes and the options' values, with the questions each asked
 * (is there a handler for this job type, a form of this key) and the answers it got. The same file checked again
 * with the same answers gets the same result without being read again: every start deploys the shipped flows, and
 * a test process starts the service many times. The result is read-only to its users. A check that measured a timer
 * from the time (a date at most N days ahead, a cycle) is not kept: the same file may pass a minute later, or no
 * longer. An entry is used for at most MAX_AGE_MS.
 * A result holds the file's parsed tree, several times the file's size: only files up to MAX_BYTES are kept (the
 * shipped flows are about 50 KB), so what is kept stays within a few tens of megabytes.
 */
class RecentChecks {
  static readonly MAX_ENTRIES = 16;
  static readonly MAX_BYTES = 128 * 1024;
  static readonly MAX_AGE_MS = 10 * 60_000;
  private readonly entries = new Map<
    string,
    { readonly at: number; readonly asked: readonly Question[]; readonly result: DefinitionCheck }
  >();

  async check(
    source: string | Uint8Array,
    options: DefinitionCheckOptions,
    check: (source: string | Uint8Array, options: DefinitionCheckOptions) => Promise<DefinitionCheck>,
  ): Promise<DefinitionCheck> {
    const bytes = typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : source.byteLength;
    if (bytes > RecentChecks.MAX_BYTES) return check(source, options);
    const key = createHash('sha256')
      .update(typeof source === 'string' ? 's' : 'b')
      .update(source)
      .update(JSON.stringify([options.limits, options.externalJobTypes, options.charset ?? null]))
      .digest('base64');
    const seen = this.entries.get(key);
    if (seen && Date.now() - seen.at <= RecentChecks.MAX_AGE_MS) {
      const same = seen.asked.every(
        ([kind, name, answer]) =>
          (kind === 'handler' ? options.hasHandler(name) : options.hasForm(name)) === answer,
      );
      if (same) return seen.result;
    }
    const asked: Question[] = [];
    const at = Date.now();
    let timed = false;
    const now = options.now ?? (() => new Date());
    const result = await check(source, {
      ...options,
      now: () => {
        timed = true;
        return now();
      },
      hasHandler: (type) => {
        const answer = options.hasHandler(type);
        asked.push(['handler', type, answer]);
        return answer;
      },
      hasForm: (formKey) => {
        const answer = options.hasForm(formKey);
        asked.push(['form', formKey, answer]);
        return answer;
      },
    });
    this.entries.delete(key);
    if (timed) return result;
    if (this.entries.size >= RecentChecks.MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { at, asked, result });
    return result;
  }
}

const checkedBefore = new RecentChecks();

async function uncachedCheck(
  source: string | Uint8Array,
  options: DefinitionCheckOptions,
): Promise<DefinitionCheck> {
  let xml: string;
  if (typeof source === 'string') xml = source;
  else {
    const decoded = decodeXml(source, options.charset);
    if (decoded.problem !== undefined) return refused('xml', decoded.problem);
    xml = decoded.text;
  }
  // No document type declarations, processing instructions or deep nesting: shared with the DMN reader.
  const unsafe = untrustedXmlProblem(xml);
  if (unsafe) return { xml, ...refused('xml', unsafe) };

  let document: BpmnDocument;
  try {
    document = await parseDocument(xml);
  } catch (err) {
    if (err instanceof BpmnParseError) return { xml, ...refused('xml', oneLine(err.message)) };
    // A hostile file nested deeper than the parser's recursion can follow.
    if (err instanceof RangeError)
      return { xml, ...refused('xml', 'the document is nested too deeply to be a process') };
    throw err;
  }

  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  // bpmn-moddle reads past what it cannot place and only warns: deploying such a file would run a different
  // process than the one drawn. A diagram shape of an element that is gone, or stray text between elements,
  // changes nothing that runs.
  for (const warning of document.warnings)
    (isStaleDiagram(warning) || isStrayText(warning) ? warnings : errors).push(importProblem(warning));

  const { processes } = document;
  const executable = processes.filter((p) => p.executable);
  const listed = (models: readonly ProcessModel[]) => models.map((p) => p.processId).join(', ');
  if (processes.length === 0)
    errors.push({
      field: 'xml',
      message: 'the file has no process: draw one (in a collaboration, a pool with its process)',
    });
  else if (executable.length === 0 && processes.length === 1)
    errors.push({
      field: processes[0]!.processId,
      message: `the process ${processLabel(processes[0]!)} is not executable: tick "Executable" in its properties (isExecutable="true")`,
    });
  else if (executable.length === 0)
    errors.push({
      field: 'xml',
      message: `none of the file's ${processes.length} processes (${listed(processes)}) is executable: tick "Executable" on each one to deploy (isExecutable="true")`,
    });

  // The processes a deploy would run, or, when none is marked executable, every one the designer drew.
  const checked = executable.length > 0 ? executable : processes;
  const size = checked.reduce((sum, p) => sum + p.elements.size, 0);
  if (size > MAX_ELEMENTS) {
    // Checking each element of a hostile file costs what the cap is there to prevent.
    const field = checked.length === 1 ? checked[0]!.processId : 'xml';
    errors.push({
      field,
      message: `a process may have at most ${MAX_ELEMENTS} elements, this one has ${size}: split it into smaller processes`,
    });
    return { xml, models: [], errors, warnings };
  }

  const feelTerms = { seen: 0 };
  for (const model of checked) {
    errors.push(...validateProcess(model, options.hasForm, options.limits, feelTerms, options.now));
    for (const task of externalJobTypes(model, options.hasHandler)) {
      const type = `job type "${task.jobType}"`;
      if (options.externalJobTypes === 'refuse')
        errors.push({
          field: task.id,
          message: `${the(task)}: no handler is registered for ${type}: the flows deployed on start run on this service's own workers only; correct the type`,
        });
      else
        warnings.push({
          field: task.id,
          message: `${the(task)}: no built-in handler carries out ${type}: its jobs wait for an external job worker (POST /api/jobs/activate with type "${task.jobType}")`,
        });
    }
    warnings.push(...processWarnings(model));
  }
  warnings.push(...(await lint(document)));

  return { xml, models: errors.length === 0 ? executable : [], errors, warnings };
}

/** The sentence a refused file's 400 carries: every reason, each after its element. */
export function refusalSummary(check: DefinitionCheck): string {
  const reasons = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  const single = check.errors.length === 1 && check.errors[0]!.field === 'xml';
  return single ? check.errors[0]!.message : `the file cannot be deployed: ${reasons}`;
}

function refused(
  field: string,
  message: string,
): { models: ProcessModel[]; errors: FieldError[]; warnings: FieldError[] } {
  return { models: [], errors: [{ field, message }], warnings: [] };
}

function processLabel(model: ProcessModel): string {
  return model.name === model.processId ? `"${model.processId}"` : `"${model.name}" (${model.processId})`;
}

/** bpmnlint's advice; a rule that trips over an unusual file must not turn a refusal into a 500. */
async function lint(document: BpmnDocument): Promise<FieldError[]> {
  try {
    return await lintWarnings(document.moddleRoot);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return [
      {
        field: 'xml',
        message: `the modeling rules (bpmnlint) could not check this file: ${oneLine(reason)}`,
      },
    ];
  }
}

/** A diagram element (shape, edge, plane) drawing something the file no longer has. */
function isStaleDiagram(warning: ImportWarning): boolean {
  return (
    warning.reference !== undefined &&
    warning.property === 'bpmndi:bpmnElement' &&
    (warning.element?.type.startsWith('bpmndi:') ?? false)
  );
}

/**
 * Text inside an element that holds only elements (a stray word in `extensionElements`, say): BPMN gives it no
 * meaning, and the element around it is read as it is.
 */
function isStrayText(warning: ImportWarning): boolean {
  return warning.reference === undefined && /nested error: unexpected body text\b/.test(warning.message);
}

/** One thing the reader read past, on its element when it names one, in the designer's words. */
function importProblem(warning: ImportWarning): FieldError {
  const raw = oneLine(warning.message);
  const holder = warning.element;
  if (warning.reference !== undefined && holder) {
    const attribute = (warning.property ?? 'reference').replace(/^[a-z]+:/, '');
    if (isStaleDiagram(warning))
      return {
        field: holder.id ?? 'xml',
        message: `the diagram's ${typeWords(holder.type)} draws "${warning.reference}", which is not in the file: it is left out; open and save the file in the modeler to drop it`,
      };
    return {
      field: holder.id ?? 'xml',
      message: `the ${typeWords(holder.type)}'s ${attribute} "${warning.reference}" names nothing in the file (unresolved reference <${warning.reference}>): point it at an existing element or remove it`,
    };
  }
  const duplicate = /duplicate ID <([^>]+)>/.exec(raw);
  if (duplicate)
    return {
      field: duplicate[1]!,
      message: `the id "${duplicate[1]}" is used by more than one element (duplicate ID <${duplicate[1]}>): give each element its own id`,
    };
  const unparsable =
    /^unparsable content (.*?) detected; line: (\d+); column: (\d+); nested error: (.*)$/.exec(raw);
  if (unparsable) {
    const [, content, line, column, nested] = unparsable;
    // oneLine turned the line breaks around the content into "; ".
    const text = content?.replace(/^[\s;]+|[\s;]+$/g, '');
    if (isStrayText(warning))
      return {
        field: 'xml',
        message: `line ${line}, column ${column}: the text "${text}" is inside an element that holds no text, so it is left out: remove it`,
      };
    return {
      field: 'xml',
      message: `line ${line}, column ${column}: ${text || 'this content'} cannot be read as BPMN (${nested}): correct or remove it`,
    };
  }
  return { field: 'xml', message: raw };
}

function oneLine(message: string): string {
  return message
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\s+/g, ' ')
    .trim();
}
