import { createHash } from 'node:crypto';
import * as Elements from 'bpmn-elements';
import { BpmnModdle, type ModdleElement, type ParseResult } from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json';

/** What the host needs to know of one element of a process, read from its zeebe extensions. */
export interface ElementInfo {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
  readonly candidateGroups: readonly string[];
  readonly formKey?: string;
  readonly jobType?: string;
  readonly retries?: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  readonly dueDate?: string;
  readonly priority?: number;
  /** For sequence flows: the condition body and the ends. */
  readonly condition?: string;
  readonly sourceRef?: string;
  readonly targetRef?: string;
  /** For gateways and activities: the id of their default flow. */
  readonly defaultFlow?: string;
  readonly attachedToRef?: string;
  readonly eventDefinitions: readonly string[];
  readonly timer?: { readonly kind: 'timeDuration' | 'timeDate' | 'timeCycle'; readonly expression: string };
}

export interface ProcessModel {
  readonly processId: string;
  readonly name: string;
  readonly checksum: string;
  readonly elements: ReadonlyMap<string, ElementInfo>;
  readonly jobTypes: ReadonlySet<string>;
  /** Every element type in the file (including non-flow ones such as lanes), for validation. */
  readonly elementTypes: ReadonlySet<string>;
  readonly warnings: readonly string[];
  readonly moddleRoot: ModdleElement;
}

/** A parsed process, ready to run: parsed once per definition version and shared by all its instances. */
export interface CompiledProcess extends ProcessModel {
  /** The engine's serialized moddle context (opaque). */
  readonly sourceContext: unknown;
}

export class BpmnParseError extends Error {}

/** bpmn-elements with service tasks turned into wait states: their work is a queue job that signals back. */
export const engineElements = { ServiceTask: Elements.SignalTask };

const typeResolver = TypeResolver({ ...Elements, ...engineElements } as never);

export function checksumOf(xml: string): string {
  return createHash('sha256').update(xml, 'utf8').digest('hex');
}

export async function parseProcess(xml: string): Promise<ProcessModel> {
  return (await readBpmn(xml)).model;
}

/** Parse and prepare a process for the engine: one parse serves both the model and the engine. */
export async function compileProcess(xml: string): Promise<CompiledProcess> {
  const { model, parsed } = await readBpmn(xml);
  return { ...model, sourceContext: serializer(parsed as never, typeResolver) };
}

async function readBpmn(xml: string): Promise<{ model: ProcessModel; parsed: ParseResult }> {
  const moddle = new BpmnModdle({ zeebe });
  let parsed: ParseResult;
  try {
    parsed = await moddle.fromXML(xml);
  } catch (err) {
    throw new BpmnParseError(
      `not a readable BPMN 2.0 document: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const root = parsed.rootElement;
  if (root.$type !== 'bpmn:Definitions') throw new BpmnParseError('the root element is not bpmn:definitions');

  const rootElements = (root.rootElements as ModdleElement[] | undefined) ?? [];
  const processes = rootElements.filter((e) => e.$type === 'bpmn:Process' && e.isExecutable === true);
  if (processes.length === 0)
    throw new BpmnParseError('the document has no executable process (isExecutable="true")');
  if (processes.length > 1) throw new BpmnParseError('the document has more than one executable process');
  const process = processes[0]!;

  const elements = new Map<string, ElementInfo>();
  const elementTypes = new Set<string>();
  const jobTypes = new Set<string>();
  collectTypes(root, elementTypes, new Set());

  const visit = (container: ModdleElement) => {
    for (const element of (container.flowElements as ModdleElement[] | undefined) ?? []) {
      const info = describe(element);
      elements.set(info.id, info);
      if (info.jobType) jobTypes.add(info.jobType);
      if (element.flowElements) visit(element);
    }
  };
  visit(process);

  const model: ProcessModel = {
    processId: String(process.id),
    name: typeof process.name === 'string' && process.name ? process.name : String(process.id),
    checksum: checksumOf(xml),
    elements,
    jobTypes,
    elementTypes,
    warnings: parsed.warnings.map((w) => w.message),
    moddleRoot: root,
  };
  return { model, parsed };
}

function collectTypes(element: unknown, types: Set<string>, seen: Set<unknown>): void {
  if (!element || typeof element !== 'object' || seen.has(element)) return;
  seen.add(element);
  const typed = element as ModdleElement;
  if (typeof typed.$type === 'string') types.add(typed.$type);
  for (const [key, value] of Object.entries(typed)) {
    if (
      key.startsWith('$') ||
      key === 'sourceRef' ||
      key === 'targetRef' ||
      key.endsWith('Ref') ||
      key === 'default'
    ) {
      continue;
    }
    if (Array.isArray(value)) value.forEach((v) => collectTypes(v, types, seen));
    else if (value && typeof value === 'object') collectTypes(value, types, seen);
  }
}

function extensionValues(element: ModdleElement): ModdleElement[] {
  const ext = element.extensionElements as ModdleElement | undefined;
  return ((ext?.values as ModdleElement[] | undefined) ?? []).filter(Boolean);
}

function describe(element: ModdleElement): ElementInfo {
  const ext = extensionValues(element);
  const find = (type: string) => ext.find((e) => e.$type === type);

  const taskDefinition = find('zeebe:TaskDefinition');
  const assignment = find('zeebe:AssignmentDefinition');
  const form = find('zeebe:FormDefinition');
  const schedule = find('zeebe:TaskSchedule');
  const priority = find('zeebe:PriorityDefinition');

  const headers: Record<string, string> = {};
  for (const header of (find('zeebe:TaskHeaders')?.values as ModdleElement[] | undefined) ?? []) {
    if (typeof header.key === 'string') headers[header.key] = String(header.value ?? '');
  }
  const properties: Record<string, string> = {};
  for (const property of (find('zeebe:Properties')?.properties as ModdleElement[] | undefined) ?? []) {
    if (typeof property.name === 'string') properties[property.name] = String(property.value ?? '');
  }

  const eventDefinitions = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).map(
    (d) => d.$type,
  );
  const timerDefinition = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).find(
    (d) => d.$type === 'bpmn:TimerEventDefinition',
  );
  let timer: ElementInfo['timer'];
  if (timerDefinition) {
    for (const kind of ['timeDuration', 'timeDate', 'timeCycle'] as const) {
      const expression = timerDefinition[kind] as ModdleElement | undefined;
      if (expression) timer = { kind, expression: String(expression.body ?? '').trim() };
    }
  }

  const condition = element.conditionExpression as ModdleElement | undefined;
  const retries = taskDefinition?.retries !== undefined ? Number(taskDefinition.retries) : undefined;
  const priorityValue = priority?.priority !== undefined ? Number(priority.priority) : undefined;

  return {
    id: String(element.id),
    type: element.$type,
    name: typeof element.name === 'string' ? element.name : undefined,
    candidateGroups:
      typeof assignment?.candidateGroups === 'string'
        ? assignment.candidateGroups
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [],
    formKey:
      typeof form?.formKey === 'string'
        ? form.formKey
        : typeof form?.formId === 'string'
          ? form.formId
          : undefined,
    jobType: typeof taskDefinition?.type === 'string' ? taskDefinition.type : undefined,
    retries: Number.isFinite(retries) ? retries : undefined,
    headers,
    properties,
    dueDate: typeof schedule?.dueDate === 'string' ? schedule.dueDate : undefined,
    priority: Number.isFinite(priorityValue) ? priorityValue : undefined,
    condition: condition ? String(condition.body ?? '') : undefined,
    sourceRef: (element.sourceRef as ModdleElement | undefined)?.id,
    targetRef: (element.targetRef as ModdleElement | undefined)?.id,
    defaultFlow: (element.default as ModdleElement | undefined)?.id,
    attachedToRef: (element.attachedToRef as ModdleElement | undefined)?.id,
    eventDefinitions,
    timer,
  };
}
