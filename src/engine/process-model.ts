import { createHash } from 'node:crypto';
import * as Elements from 'bpmn-elements';
import { BpmnModdle, type ModdleElement, type ParseResult } from 'bpmn-moddle';
import serializer, { deserialize, TypeResolver } from 'moddle-context-serializer';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { FeelScriptTask } from './feel-script-task.js';
import { EndJobEvent, IntermediateThrowJobEvent, SIGNAL_BROADCAST_JOB_TYPE } from './throw-job-events.js';
import { ZeebeMultiInstance } from './zeebe-multi-instance.js';
import { JoiningInclusiveGateway } from './inclusive-gateway.js';
import { IncidentExclusiveGateway } from './gateway-incident.js';
import { EventSubProcessStartEvent, HostThrownEvent } from './event-sub-process-start.js';
import { hostThrownEvents } from './event-sub-processes.js';
import { ScopedSubProcess } from './scoped-sub-process.js';
import { RepeatingBoundaryEvent } from './repeating-boundary-event.js';

export type {
  ElementInfo,
  VariableMapping,
  MultiInstanceInfo,
  ProcessModel,
  ImportWarning,
  BpmnDocument,
  CompiledProcess,
} from './process-model-types.js';
import type {
  ElementInfo,
  VariableMapping,
  MultiInstanceInfo,
  ProcessModel,
  ImportWarning,
  BpmnDocument,
  CompiledProcess,
} from './process-model-types.js';

export class BpmnParseError extends Error {}

/**
 * bpmn-elements as Camunda 8 runs them: service and send tasks wait for their job (a queue job signals back), a
 * manual task passes through like a plain task, a script task evaluates its zeebe:script FEEL expression.
 */
export const engineElements = {
  ServiceTask: Elements.SignalTask,
  // A call activity waits for its child instance, which the host starts and whose end completes it.
  CallActivity: Elements.SignalTask,
  BusinessRuleTask: Elements.SignalTask,
  SendTask: Elements.SignalTask,
  ManualTask: Elements.Task,
  ScriptTask: FeelScriptTask,
  // Message throw and end events are jobs; signal ones broadcast through a built-in job (throw-job-events.ts).
  IntermediateThrowEvent: IntermediateThrowJobEvent,
  EndEvent: EndJobEvent,
  // zeebe:loopCharacteristics (input and output collections, completion condition) instead of the engine's own.
  MultiInstanceLoopCharacteristics: ZeebeMultiInstance,
  InclusiveGateway: JoiningInclusiveGateway,
  // No condition true and no default flow: an incident at the gateway, not a failed run (gateway-incident.ts).
  ExclusiveGateway: IncidentExclusiveGateway,
  // zeebe:ioMapping on embedded sub-processes: a local scope (scoped-sub-process.ts).
  SubProcess: ScopedSubProcess,
  // A non-interrupting message or signal boundary event stays open while its activity runs (Camunda 8).
  BoundaryEvent: RepeatingBoundaryEvent,
};

const typeResolver = TypeResolver({ ...Elements, ...engineElements } as never);

export function checksumOf(xml: string): string {
  return createHash('sha256').update(xml, 'utf8').digest('hex');
}

/** The executable process `processId` of a file, or its only executable process when none is named. */
export async function parseProcess(xml: string, processId?: string): Promise<ProcessModel> {
  return (await readBpmn(xml, processId)).model;
}

/**
 * Parse and prepare a process for the engine: one parse serves both the model and the engine. A file may hold
 * several executable processes (Camunda 8 deploys each as a definition of its own): `processId` names the one to
 * run, and the engine sees that one only.
 */
export async function compileProcess(xml: string, processId?: string): Promise<CompiledProcess> {
  const { model, parsed, executableCount } = await readBpmn(xml, processId);
  const eventStarts = new Set([...model.elements.values()].filter((e) => e.eventSubProcess).map((e) => e.id));
  const thrown = hostThrownEvents(model);
  const resolver =
    eventStarts.size === 0 && thrown.size === 0
      ? typeResolver
      : TypeResolver({
          ...Elements,
          ...engineElements,
          StartEvent: EventSubProcessStartEvent(eventStarts),
          EndEvent: HostThrownEvent(thrown, EndJobEvent),
          IntermediateThrowEvent: HostThrownEvent(thrown, IntermediateThrowJobEvent),
        } as never);
  const fileContext = serializer(parsed as never, resolver);
  // Files with one executable process keep their context as it always was (stored states resume on it).
  const sourceContext = withoutSerializedSource(
    executableCount > 1
      ? onlyProcess(fileContext as unknown as MappedContextApi, model.processId, resolver)
      : fileContext,
  );
  const variants = new Map<string, unknown>();
  const starts = new Set(topLevelStartEvents(model).map((e) => e.id));
  const sourceContextFor = (startEventId: string): unknown => {
    let variant = variants.get(startEventId);
    if (variant === undefined) {
      variant = withoutSerializedSource(
        startVariant(sourceContext as unknown as MappedContextApi, starts, startEventId, resolver),
      );
      variants.set(startEventId, variant);
    }
    return variant;
  };
  return { ...model, sourceContext, sourceContextFor };
}

/**
 * A context whose engine state leaves its source out. bpmn-engine's getState serialises every definition's whole
 * context to JSON (`source`, tens of KB) on each call; this host stores the definition once per version and drops
 * that string from every state it takes, so serialising it was a pass's largest waste of CPU and garbage. A state
 * is recovered with the context given again (`sourceContext`), never from a stored source.
 */
function withoutSerializedSource<T>(context: T): T {
  Object.defineProperty(context, 'serialize', { value: () => undefined });
  return context;
}

/** The start events of the process itself (not of its sub-processes or event sub-processes). */
export function topLevelStartEvents(model: Pick<ProcessModel, 'elements' | 'processId'>): ElementInfo[] {
  return [...model.elements.values()].filter(
    (e) =>
      e.type === 'bpmn:StartEvent' &&
      !e.eventSubProcess &&
      (e.parentId === undefined || e.parentId === model.processId),
  );
}

interface MappedElement {
  readonly id: string;
  readonly sourceId?: string;
  readonly behaviour?: Record<string, unknown>;
  readonly parent?: { readonly id: string };
  readonly source?: { readonly processId?: string };
  readonly target?: { readonly processId?: string };
}

interface MappedContextApi {
  readonly elements: Record<string, unknown> & {
    readonly activities: readonly MappedElement[];
    readonly sequenceFlows: readonly MappedElement[];
    readonly processes: readonly MappedElement[];
    readonly messageFlows?: readonly MappedElement[];
  };
}

/**
 * The context of one process of a file that holds several executable ones: the engine runs every executable
 * process of its context, where Camunda 8 starts only the one the instance is of. The other processes, and the
 * message flows to or from them, are left out; their elements stay but belong to no process, so none runs.
 */
function onlyProcess(context: MappedContextApi, processId: string, resolver: unknown): unknown {
  const { elements } = context;
  const processes = elements.processes.filter((p) => p.id === processId);
  const messageFlows = (elements.messageFlows ?? []).filter(
    (f) => f.source?.processId === processId && f.target?.processId === processId,
  );
  return deserialize({ ...elements, processes, messageFlows }, resolver as never);
}

function startVariant(
  context: MappedContextApi,
  starts: ReadonlySet<string>,
  chosen: string,
  resolver: unknown,
): unknown {
  if (!starts.has(chosen)) throw new BpmnParseError(`${chosen} is not a start event of the process`);
  const { elements } = context;
  const activities = elements.activities
    .filter((a) => a.id === chosen || !starts.has(a.id))
    .map((a) => (a.id === chosen ? { ...a, behaviour: { ...a.behaviour, eventDefinitions: undefined } } : a));
  const sequenceFlows = elements.sequenceFlows.filter(
    (f) => f.sourceId === undefined || f.sourceId === chosen || !starts.has(f.sourceId),
  );
  return deserialize({ ...elements, activities, sequenceFlows }, resolver as never);
}

/** Every process of the file; throws BpmnParseError only when the file is not a BPMN document at all. */
export async function parseDocument(xml: string): Promise<BpmnDocument> {
  const { root, warnings } = await readDefinitions(xml);
  const elementTypes = typesIn(root);
  const processes = processesOf(root).map((p) => modelOf(p, root, xml, warnings, elementTypes));
  return { processes, warnings, moddleRoot: root };
}

async function readBpmn(
  xml: string,
  processId?: string,
): Promise<{ model: ProcessModel; parsed: ParseResult; executableCount: number }> {
  const { root, parsed, warnings } = await readDefinitions(xml);
  const processes = processesOf(root).filter((e) => e.isExecutable === true);
  if (processes.length === 0)
    throw new BpmnParseError('the document has no executable process (isExecutable="true")');
  let chosen: ModdleElement | undefined;
  if (processId !== undefined) {
    chosen = processes.find((p) => p.id === processId);
    if (!chosen) throw new BpmnParseError(`the document has no executable process "${processId}"`);
  } else {
    if (processes.length > 1)
      throw new BpmnParseError('the document has more than one executable process: name the one to read');
    chosen = processes[0]!;
  }
  return {
    model: modelOf(chosen, root, xml, warnings, typesIn(root)),
    parsed,
    executableCount: processes.length,
  };
}

async function readDefinitions(
  xml: string,
): Promise<{ root: ModdleElement; parsed: ParseResult; warnings: ImportWarning[] }> {
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
  const warnings = parsed.warnings.map((w): ImportWarning => ({
    message: w.message,
    element: w.element ? { id: w.element.id, type: w.element.$type } : undefined,
    property: w.property,
    reference: typeof w.value === 'string' ? w.value : undefined,
  }));
  return { root, parsed, warnings };
}

function processesOf(root: ModdleElement): ModdleElement[] {
  return ((root.rootElements as ModdleElement[] | undefined) ?? []).filter((e) => e.$type === 'bpmn:Process');
}

function typesIn(root: ModdleElement): Set<string> {
  const elementTypes = new Set<string>();
  collectTypes(root, elementTypes, new Set());
  return elementTypes;
}

function modelOf(
  process: ModdleElement,
  root: ModdleElement,
  xml: string,
  warnings: readonly ImportWarning[],
  elementTypes: ReadonlySet<string>,
): ProcessModel {
  const elements = new Map<string, ElementInfo>();
  const jobTypes = new Set<string>();

  const embeddedForms = new Map<string, string>();
  for (const value of extensionValues(process))
    if (value.$type === 'zeebe:UserTaskForm' && typeof value.id === 'string')
      embeddedForms.set(value.id, String(value.body ?? ''));
  const visit = (container: ModdleElement) => {
    for (const element of (container.flowElements as ModdleElement[] | undefined) ?? []) {
      const info = describe(element, embeddedForms);
      elements.set(info.id, info);
      if (info.jobType) jobTypes.add(info.jobType);
      if (element.flowElements) visit(element);
    }
  };
  visit(process);

  return {
    processId: String(process.id),
    name: typeof process.name === 'string' && process.name ? process.name : String(process.id),
    properties: zeebeProperties(extensionValues(process)),
    checksum: checksumOf(xml),
    elements,
    jobTypes,
    elementTypes,
    warnings,
    moddleRoot: root,
    executable: process.isExecutable === true,
  };
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

/** The name-value pairs of a zeebe:properties extension. */
function zeebeProperties(ext: readonly ModdleElement[]): Record<string, string> {
  const properties: Record<string, string> = {};
  const list = ext.find((e) => e.$type === 'zeebe:Properties')?.properties as ModdleElement[] | undefined;
  for (const property of list ?? []) {
    if (typeof property.name === 'string') properties[property.name] = String(property.value ?? '');
  }
  return properties;
}

/** The formKey prefix of a user task whose form is embedded in the process (`zeebe:userTaskForm`). */
export const EMBEDDED_FORM_PREFIX = 'camunda-forms:bpmn:';

function describe(element: ModdleElement, embeddedForms: ReadonlyMap<string, string>): ElementInfo {
  const ext = extensionValues(element);
  const find = (type: string) => ext.find((e) => e.$type === type);

  const taskDefinition = find('zeebe:TaskDefinition');
  const zeebeScript = find('zeebe:Script');
  const calledDecision = find('zeebe:CalledDecision');
  const called = find('zeebe:CalledElement');
  const calledElement =
    element.$type === 'bpmn:CallActivity' && typeof called?.processId === 'string' && called.processId.trim()
      ? {
          processId: called.processId.trim(),
          // Camunda 8's default: every variable of the child comes back.
          propagateAllChildVariables: called.propagateAllChildVariables !== false,
        }
      : undefined;
  const decision =
    element.$type === 'bpmn:BusinessRuleTask' && typeof calledDecision?.decisionId === 'string'
      ? {
          decisionId: calledDecision.decisionId,
          resultVariable:
            typeof calledDecision.resultVariable === 'string' ? calledDecision.resultVariable : undefined,
        }
      : undefined;
  const assignment = find('zeebe:AssignmentDefinition');
  const form = find('zeebe:FormDefinition');
  const schedule = find('zeebe:TaskSchedule');
  const priority = find('zeebe:PriorityDefinition');

  // A business rule task's decision is a built-in job: the queue evaluates it and reports the result.
  const headers: Record<string, string> = decision
    ? { decisionId: decision.decisionId, resultVariable: decision.resultVariable ?? '' }
    : {};
  for (const header of (find('zeebe:TaskHeaders')?.values as ModdleElement[] | undefined) ?? []) {
    if (typeof header.key === 'string') headers[header.key] = String(header.value ?? '');
  }
  const properties = zeebeProperties(ext);

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

  const messageDefinition = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).find(
    (d) => d.$type === 'bpmn:MessageEventDefinition',
  );
  const messageElement = (messageDefinition?.messageRef ??
    (element.$type === 'bpmn:ReceiveTask' ? element.messageRef : undefined)) as ModdleElement | undefined;
  let message: ElementInfo['message'];
  if (messageElement && MESSAGE_CATCHING_TYPES.has(element.$type)) {
    const subscription = extensionValues(messageElement).find((e) => e.$type === 'zeebe:Subscription');
    message = {
      name: String(messageElement.name ?? messageElement.id),
      correlationKey:
        typeof subscription?.correlationKey === 'string' ? subscription.correlationKey : undefined,
    };
  }

  const signalDefinition = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).find(
    (d) => d.$type === 'bpmn:SignalEventDefinition',
  );
  const signalElement = signalDefinition?.signalRef as ModdleElement | undefined;
  const signal: ElementInfo['signal'] =
    signalElement && SIGNAL_CATCHING_TYPES.has(element.$type)
      ? { name: String(signalElement.name ?? signalElement.id) }
      : undefined;
  // A signal throw or end event broadcasts through its built-in job; a signal with no reference has no name.
  const signalThrow =
    signalDefinition && SIGNAL_THROWING_TYPES.has(element.$type) && eventDefinitions.length === 1
      ? { name: signalElement ? String(signalElement.name ?? signalElement.id) : '' }
      : undefined;
  if (signalThrow) headers.signalName = signalThrow.name;

  const parent = element.$parent as ModdleElement | undefined;
  const eventSubProcess =
    element.$type === 'bpmn:StartEvent' && parent?.triggeredByEvent === true
      ? { id: String(parent.id), interrupting: element.isInterrupting !== false }
      : undefined;
  const errorDefinition = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).find(
    (d) => d.$type === 'bpmn:ErrorEventDefinition',
  );
  const errorRef = errorDefinition?.errorRef as ModdleElement | undefined;
  const errorCode = typeof errorRef?.errorCode === 'string' ? errorRef.errorCode : undefined;
  const escalationRef = ((element.eventDefinitions as ModdleElement[] | undefined) ?? []).find(
    (d) => d.$type === 'bpmn:EscalationEventDefinition',
  )?.escalationRef as ModdleElement | undefined;
  const escalationCode =
    typeof escalationRef?.escalationCode === 'string' ? escalationRef.escalationCode : undefined;

  const condition = element.conditionExpression as ModdleElement | undefined;
  const multiInstance = multiInstanceOf(element.loopCharacteristics as ModdleElement | undefined);
  const ioMapping = ioMappingOf(find('zeebe:IoMapping'));
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
      typeof form?.formId === 'string' && form.formId
        ? form.formId
        : typeof form?.formKey === 'string' && form.formKey
          ? form.formKey
          : undefined,
    embeddedForm:
      typeof form?.formKey === 'string' && form.formKey.startsWith(EMBEDDED_FORM_PREFIX)
        ? embeddedForms.get(form.formKey.slice(EMBEDDED_FORM_PREFIX.length))
        : undefined,
    jobType: decision
      ? DECISION_JOB_TYPE
      : signalThrow
        ? SIGNAL_BROADCAST_JOB_TYPE
        : typeof taskDefinition?.type === 'string'
          ? taskDefinition.type
          : undefined,
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
    message,
    signal,
    calledDecision: decision,
    calledElement,
    multiInstance,
    eventSubProcess,
    errorCode,
    escalationCode,
    ioMapping,
    script:
      typeof zeebeScript?.expression === 'string'
        ? {
            expression: zeebeScript.expression,
            resultVariable:
              typeof zeebeScript.resultVariable === 'string' ? zeebeScript.resultVariable : undefined,
          }
        : undefined,
    parentId:
      typeof (element.$parent as ModdleElement | undefined)?.id === 'string'
        ? String((element.$parent as ModdleElement).id)
        : undefined,
  };
}

function ioMappingOf(mapping: ModdleElement | undefined): ElementInfo['ioMapping'] {
  if (!mapping) return undefined;
  const read = (list: unknown): VariableMapping[] =>
    ((list as ModdleElement[] | undefined) ?? [])
      .filter((m) => typeof m.target === 'string' && m.target.trim())
      .map((m) => ({
        source: typeof m.source === 'string' ? m.source : '',
        target: String(m.target).trim(),
      }));
  return { inputs: read(mapping.inputParameters), outputs: read(mapping.outputParameters) };
}

function multiInstanceOf(loop: ModdleElement | undefined): MultiInstanceInfo | undefined {
  if (!loop) return undefined;
  const zeebeLoop = extensionValues(loop).find((e) => e.$type === 'zeebe:LoopCharacteristics');
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const completion = loop.completionCondition as ModdleElement | undefined;
  return {
    sequential: loop.isSequential === true,
    inputCollection: text(zeebeLoop?.inputCollection),
    inputElement: text(zeebeLoop?.inputElement),
    outputCollection: text(zeebeLoop?.outputCollection),
    outputElement: text(zeebeLoop?.outputElement),
    completionCondition: text(completion?.body),
    standardLoop: loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics',
  };
}

/** The built-in job type that evaluates a business rule task's decision (headers: decisionId, resultVariable). */
export const DECISION_JOB_TYPE = 'decision.evaluate';

/** The elements that wait for a published message (throwing a message is a job in Camunda 8). */
const MESSAGE_CATCHING_TYPES: ReadonlySet<string> = new Set([
  'bpmn:IntermediateCatchEvent',
  'bpmn:BoundaryEvent',
  'bpmn:ReceiveTask',
  'bpmn:StartEvent',
]);
/** The elements that wait for a broadcast signal. */
const SIGNAL_CATCHING_TYPES: ReadonlySet<string> = new Set([
  'bpmn:IntermediateCatchEvent',
  'bpmn:BoundaryEvent',
  'bpmn:StartEvent',
]);
/** The elements that broadcast a signal when reached. */
const SIGNAL_THROWING_TYPES: ReadonlySet<string> = new Set(['bpmn:IntermediateThrowEvent', 'bpmn:EndEvent']);
