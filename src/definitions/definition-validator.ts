import type { ModdleElement } from 'bpmn-moddle';
import {
  checkFeel,
  DEFAULT_FEEL_LIMITS,
  DEFAULT_TIMER_BOUNDS,
  isFeel,
  measureFeel,
  timerProblem,
  startTimerProblem as scheduleProblem,
  type ElementInfo,
  type FeelLimits,
  type ProcessModel,
  type TimerBounds,
} from '../engine/index.js';
import type { FieldError } from '../platform/errors.js';
import { ROLES } from '../identity/user.entity.js';
import { EMBEDDED_FORM_PREFIX, parseForm } from './form-js.js';

/**
 * Flow-element types the engine host runs; anything else in a process is refused at deploy. Events are
 * narrower still: start and end events without event definitions, and timers as the only catch events.
 */
export const SUPPORTED_ELEMENT_TYPES: ReadonlySet<string> = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:Task',
  'bpmn:ManualTask',
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ReceiveTask',
  'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask',
  'bpmn:CallActivity',
  'bpmn:SubProcess',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:EventBasedGateway',
  'bpmn:BoundaryEvent',
  'bpmn:IntermediateCatchEvent',
  'bpmn:IntermediateThrowEvent',
  'bpmn:SequenceFlow',
  // Data carry no behaviour here: drawn for the reader, passed over by the engine.
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
]);

/** Element types that run code: never deployable, wherever they sit in the file. */
const SCRIPT_TYPES: ReadonlySet<string> = new Set(['bpmn:ScriptTask', 'zeebe:Script']);

/** What an end event may do besides ending its path: throw an error, or end the whole instance. */
const END_EVENT_RESULTS: ReadonlySet<string> = new Set([
  'bpmn:ErrorEventDefinition',
  'bpmn:EscalationEventDefinition',
  'bpmn:TerminateEventDefinition',
]);

/** What an intermediate throw event may do: jump through a link, or escalate (a plain one passes through). */
const THROW_EVENT_RESULTS: ReadonlySet<string> = new Set([
  'bpmn:LinkEventDefinition',
  'bpmn:EscalationEventDefinition',
]);

/** The longest process id and name the definition table stores. */
export const MAX_KEY_LENGTH = 255;

const KNOWN_GROUPS: ReadonlySet<string> = new Set(ROLES);

/** What a definition's expressions and timers may ask of the engine (FEEL_* and TIMER_* settings). */
export interface DefinitionLimits {
  readonly feel: FeelLimits;
  readonly timers: TimerBounds;
}

export const DEFAULT_DEFINITION_LIMITS: DefinitionLimits = {
  feel: DEFAULT_FEEL_LIMITS,
  timers: DEFAULT_TIMER_BOUNDS,
};

/** Every expression of a definition is parsed at deploy: all of them together stay within this many of one's terms. */
const FEEL_TERMS_PER_DEFINITION_FACTOR = 20;

/**
 * The rules a process must meet before it is stored, each refusal on its element (field: the element id) and in
 * the designer's words: what is wrong with which element, and what to do about it. Warnings do not block.
 * `hasForm` tells which form keys exist. `feelTerms` is shared by the processes of one file, so a file's FEEL
 * budget is one whatever it holds. `now` is the time timer dates and cycles are measured from (the service clock).
 */
export function validateProcess(
  model: ProcessModel,
  hasForm: (formKey: string) => boolean = () => true,
  limits: DefinitionLimits = DEFAULT_DEFINITION_LIMITS,
  feelTerms: { seen: number } = { seen: 0 },
  now: () => Date = () => new Date(),
): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  // Parsing FEEL is slow (about a tenth of a millisecond per term): many small expressions add up too.
  const termBudget = limits.feel.maxTerms * FEEL_TERMS_PER_DEFINITION_FACTOR;
  const checkExpression = (expression: string): string | undefined => {
    if (expression.length <= limits.feel.maxLength) feelTerms.seen += measureFeel(expression).terms;
    if (feelTerms.seen > termBudget)
      return `the FEEL expressions of a definition may have at most ${termBudget} terms together`;
    return checkFeel(expression, limits.feel);
  };
  const processName = `the process ${quoted(model.name)}${model.name === model.processId ? '' : ` (${model.processId})`}`;

  if (model.processId.length > MAX_KEY_LENGTH)
    fail(
      model.processId.slice(0, 64),
      `a process id may have at most ${MAX_KEY_LENGTH} characters: shorten the id of the process`,
    );
  if (model.name.length > MAX_KEY_LENGTH)
    fail(model.processId, `a process name may have at most ${MAX_KEY_LENGTH} characters: shorten it`);

  const raws = flowElementsById(model.moddleRoot, model.processId);
  const outgoing = new Map<string, string[]>();
  for (const element of model.elements.values()) {
    if (element.type !== 'bpmn:SequenceFlow') continue;
    if (element.sourceRef)
      outgoing.set(element.sourceRef, [...(outgoing.get(element.sourceRef) ?? []), element.id]);
  }

  /** Every path out of a deciding gateway needs a condition, unless it is the default. */
  const checkGatewayFlows = (gateway: ElementInfo) => {
    const flows = outgoing.get(gateway.id) ?? [];
    if (gateway.defaultFlow !== undefined) {
      const defaultFlow = model.elements.get(gateway.defaultFlow);
      if (!flows.includes(gateway.defaultFlow))
        fail(
          gateway.id,
          `${the(gateway)}: its default flow "${gateway.defaultFlow}" does not leave it: pick one of its outgoing flows as the default`,
        );
      else if (defaultFlow?.condition !== undefined)
        fail(
          gateway.defaultFlow,
          `${the(defaultFlow)}: a default flow must not have a condition: remove the condition (it is taken when no other is true)`,
        );
    }
    if (flows.length < 2) return;
    for (const flowId of flows) {
      const flow = model.elements.get(flowId);
      if (flowId !== gateway.defaultFlow && flow?.condition === undefined) {
        fail(
          flowId,
          `${flow ? the(flow) : 'the flow'} out of gateway "${gateway.id}" needs a condition or must be its default flow: add a FEEL condition, or mark it as the default flow`,
        );
      }
    }
  };

  let topLevelStarts = 0;
  let plainStarts = 0;
  const startMessages = new Set<string>();
  const startSignals = new Set<string>();
  let scriptTaskFound = false;
  for (const element of model.elements.values()) {
    const it = the(element);
    if (element.type === 'bpmn:ScriptTask') {
      scriptTaskFound = true;
      const script = element.script;
      if (!script || !isFeel(script.expression) || !script.resultVariable) {
        fail(
          element.id,
          `${it}: a script task runs a FEEL expression only (zeebe:script with an expression starting with "=" and a result variable); scripts in other languages are not run: deployed processes must not run code`,
        );
        continue;
      }
      const problem = checkExpression(script.expression);
      if (problem) fail(element.id, `${it}: the script: ${problem}`);
    }
    if (!SUPPORTED_ELEMENT_TYPES.has(element.type)) {
      fail(
        element.id,
        `${it}: ${element.type} is not supported by this engine: replace it with one of the elements it runs (${supportedList()})`,
      );
      continue;
    }
    const raw = raws.get(element.id);
    if (raw?.loopCharacteristics) {
      for (const problem of multiInstanceProblems(element, raw, checkExpression))
        fail(element.id, `${it}${problem}`);
    }
    switch (element.type) {
      case 'bpmn:StartEvent': {
        // The start events of a sub-process belong to it; the process's own are counted.
        if (element.parentId !== undefined && element.parentId !== model.processId) break;
        topLevelStarts++;
        const kind = element.eventDefinitions.length === 1 ? element.eventDefinitions[0] : undefined;
        if (element.eventDefinitions.length === 0) plainStarts++;
        else if (kind === 'bpmn:MessageEventDefinition') {
          if (!element.message)
            fail(
              element.id,
              `${it} has no message: a message start event starts an instance per published message; choose one under Message`,
            );
          else if (startMessages.has(element.message.name))
            fail(
              element.id,
              `${it} waits for message "${element.message.name}" as another start event does: each message start event of a process needs its own message`,
            );
          else startMessages.add(element.message.name);
        } else if (kind === 'bpmn:SignalEventDefinition') {
          if (!element.signal)
            fail(
              element.id,
              `${it} has no signal: a signal start event starts an instance per broadcast; choose one under Signal`,
            );
          else if (startSignals.has(element.signal.name))
            fail(
              element.id,
              `${it} waits for signal "${element.signal.name}" as another start event does: each signal start event of a process needs its own signal`,
            );
          else startSignals.add(element.signal.name);
        } else if (kind === 'bpmn:TimerEventDefinition') {
          const problem = element.timer
            ? startTimerProblem(element.timer, limits.timers, checkExpression, now)
            : 'the timer has no date or cycle expression: set its type and value under Timer';
          if (problem) fail(element.id, `${it}: ${problem}`);
        } else
          fail(
            element.id,
            `${it} is ${triggers(element)} start event: plain, message, timer and signal start events are run: remove its trigger or make it one of these`,
          );
        break;
      }
      case 'bpmn:EndEvent':
        if (isMessageOrSignalThrow(element)) {
          const problem = throwEventProblem(element, raw);
          if (problem) fail(element.id, `${it} ${problem}`);
        } else if (element.eventDefinitions.some((d) => !END_EVENT_RESULTS.has(d)))
          fail(
            element.id,
            `${it} is ${triggers(element)} end event: the engine runs plain, message, signal, error, escalation and terminate end events: remove its result or make it one of these`,
          );
        break;
      case 'bpmn:UserTask':
        // No candidate group or no form is run as it is (see processWarnings): only a wrong one is refused.
        for (const group of element.candidateGroups) {
          if (group.includes('='))
            fail(
              element.id,
              `${it}: candidate groups are listed by name here; FEEL is not evaluated for them: name one of the roles (${roleList()})`,
            );
          else if (!KNOWN_GROUPS.has(group))
            fail(element.id, `${it}: candidate group "${group}" is not a role: use one of ${roleList()}`);
        }
        if (element.formKey?.startsWith(EMBEDDED_FORM_PREFIX)) {
          if (element.embeddedForm === undefined)
            fail(
              element.id,
              `${it}: embedded form "${element.formKey.slice(EMBEDDED_FORM_PREFIX.length)}" is not in the process (zeebe:userTaskForm): link a deployed form by its form id instead`,
            );
          else {
            const problems = parseForm(element.embeddedForm, limits.feel).errors;
            if (problems.length > 0)
              fail(
                element.id,
                `${it}: its embedded form cannot be used: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
              );
          }
        } else if (element.formKey && !hasForm(element.formKey))
          fail(
            element.id,
            `${it}: form "${element.formKey}" does not exist: deploy its .form file first (or in the same deployment), or link a deployed form by its form id`,
          );
        break;
      case 'bpmn:CallActivity':
        if (!element.calledElement)
          fail(
            element.id,
            `${it} calls no process: set "Process ID" under Called element (zeebe:calledElement processId); a FEEL process id is not run here`,
          );
        break;
      case 'bpmn:BusinessRuleTask':
        if (!element.calledDecision)
          fail(
            element.id,
            `${it} calls no decision: set "Decision ID" and "Result variable" under Called decision (zeebe:calledDecision); a job-worker implementation is not run here`,
          );
        else if (!element.calledDecision.resultVariable)
          fail(element.id, `${it} has no result variable: set "Result variable" under Called decision`);
        break;
      case 'bpmn:SendTask':
      case 'bpmn:ServiceTask': {
        const problem = jobTypeProblem(element.jobType);
        if (problem) fail(element.id, `${it} ${problem}`);
        break;
      }
      case 'bpmn:IntermediateThrowEvent':
        if (isMessageOrSignalThrow(element)) {
          const problem = throwEventProblem(element, raw);
          if (problem) fail(element.id, `${it} ${problem}`);
        } else if (element.eventDefinitions.some((d) => !THROW_EVENT_RESULTS.has(d)))
          fail(
            element.id,
            `${it} is ${triggers(element)} throw event: the engine runs plain, message, signal, link and escalation throw events: make it one of these`,
          );
        break;
      case 'bpmn:ReceiveTask':
        if (!element.message)
          fail(
            element.id,
            `${it} has no message: a receive task waits for a message; choose one under Message`,
          );
        break;
      case 'bpmn:BoundaryEvent':
      case 'bpmn:IntermediateCatchEvent':
        if (
          element.eventDefinitions.length === 1 &&
          element.eventDefinitions[0] === 'bpmn:MessageEventDefinition'
        ) {
          if (!element.message)
            fail(
              element.id,
              `${it} has no message: a message event waits for a message; choose one under Message`,
            );
        } else if (
          element.eventDefinitions.length === 1 &&
          (element.type === 'bpmn:IntermediateCatchEvent'
            ? element.eventDefinitions[0] === 'bpmn:LinkEventDefinition'
            : element.eventDefinitions[0] === 'bpmn:ErrorEventDefinition' ||
              element.eventDefinitions[0] === 'bpmn:EscalationEventDefinition')
        ) {
          // A link catch is where its throw jumps to; an error or escalation boundary catches what its reference
          // names, or anything without one.
          // An error boundary catches the error its reference names, or any error without one.
        } else if (
          element.eventDefinitions.length === 1 &&
          element.eventDefinitions[0] === 'bpmn:SignalEventDefinition'
        ) {
          if (!element.signal)
            fail(
              element.id,
              `${it} has no signal: a signal event waits for a broadcast signal; choose one under Signal`,
            );
        } else if (element.eventDefinitions.includes('bpmn:TimerEventDefinition') && !element.timer)
          fail(
            element.id,
            `${it}: the timer has no duration, date or cycle expression: set its type and value under Timer`,
          );
        else if (!element.timer || element.eventDefinitions.length !== 1)
          fail(
            element.id,
            `${it} is ${triggers(element)} event: only timer, message, signal and (on boundaries) error events are supported here: make it one of these or remove it`,
          );
        else {
          const problem = checkTimer(element.timer, limits.timers, checkExpression, now);
          if (problem) fail(element.id, `${it}: ${problem}`);
        }
        break;
      case 'bpmn:SequenceFlow':
        if (element.condition !== undefined) {
          if (!isFeel(element.condition))
            fail(
              element.id,
              `${it}: a condition must be a FEEL expression starting with "=" (for example =approved = true), not ${quoted(element.condition)}`,
            );
          else {
            const problem = checkExpression(element.condition);
            if (problem) fail(element.id, `${it}: the condition: ${problem}`);
          }
          const source = element.sourceRef ? model.elements.get(element.sourceRef) : undefined;
          if (source?.type === 'bpmn:ParallelGateway')
            fail(
              element.id,
              `${it}: a flow out of a parallel gateway is always taken: it must not have a condition; remove it, or make gateway "${source.id}" exclusive or inclusive`,
            );
        }
        break;
      case 'bpmn:InclusiveGateway':
        // It forks on its conditions and joins every branch that can still arrive (inclusive-gateway.ts).
        checkGatewayFlows(element);
        break;
      case 'bpmn:ExclusiveGateway':
        checkGatewayFlows(element);
        break;
    }
    // Every FEEL expression in the element's extensions (due dates, priorities, mappings, ...) must parse.
    if (raw) {
      for (const { attribute, expression } of feelAttributes(raw.extensionElements)) {
        const problem = checkExpression(expression);
        if (problem) fail(element.id, `${it}: ${attribute}: ${problem}`);
      }
    }
  }
  for (const [field, message] of eventSubProcessProblems(model, limits.timers, checkExpression, now))
    fail(field, message);
  if (!scriptTaskFound && [...model.elementTypes].some((type) => SCRIPT_TYPES.has(type))) {
    fail(model.processId, 'script tasks are not allowed: deployed processes must not run code');
  }
  if (topLevelStarts === 0)
    fail(
      model.processId,
      `${processName} has no start event at its top level: add a start event (plain, message, timer or signal)`,
    );
  else if (plainStarts > 1)
    fail(
      model.processId,
      `${processName} has ${plainStarts} plain start events at its top level: creating an instance runs the plain one, so keep one and remove the others (message, timer and signal start events may stand beside it)`,
    );
  return errors;
}

/** Activities that may be multi-instance (an event sub-process may not). */
const MULTI_INSTANCE_TYPES: ReadonlySet<string> = new Set([
  'bpmn:Task',
  'bpmn:ManualTask',
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ReceiveTask',
  'bpmn:ScriptTask',
  'bpmn:BusinessRuleTask',
  'bpmn:CallActivity',
  'bpmn:SubProcess',
]);

/** A variable name as zeebe:loopCharacteristics takes it: a name, not an expression. */
const VARIABLE_NAME = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/**
 * What is wrong with a multi-instance marker, each problem worded to follow the element's name: Camunda 8's
 * zeebe:loopCharacteristics with a FEEL input collection; the standard loop marker is not run.
 */
function multiInstanceProblems(
  element: ElementInfo,
  raw: ModdleElement,
  checkExpression: (expression: string) => string | undefined,
): string[] {
  const mi = element.multiInstance;
  if (!mi || mi.standardLoop)
    return [
      ' is marked as a loop (standard loop), which Camunda 8 and this engine do not run: make it multi-instance (parallel or sequential) over an input collection, or remove the marker',
    ];
  if (!MULTI_INSTANCE_TYPES.has(element.type) || raw.triggeredByEvent === true)
    return [
      ` cannot be multi-instance here: only tasks, call activities and embedded sub-processes can; remove the marker`,
    ];
  const problems: string[] = [];
  if (!mi.inputCollection)
    problems.push(
      ': a multi-instance activity needs an input collection: set "Input collection" under Multi-instance to a FEEL list (for example =reviewers); a loop cardinality alone is not run',
    );
  const feel = (what: string, expression: string | undefined) => {
    if (expression === undefined) return;
    if (!isFeel(expression)) {
      problems.push(`: the ${what} must be a FEEL expression starting with "=", not ${quoted(expression)}`);
      return;
    }
    const problem = checkExpression(expression);
    if (problem) problems.push(`: the ${what}: ${problem}`);
  };
  feel('input collection', mi.inputCollection);
  feel('output element', mi.outputElement);
  feel('completion condition', mi.completionCondition);
  for (const [what, name] of [
    ['input element', mi.inputElement],
    ['output collection', mi.outputCollection],
  ] as const) {
    if (name !== undefined && !VARIABLE_NAME.test(name))
      problems.push(
        `: the ${what} names a variable: write a plain name (for example reviewer), not ${quoted(name)}`,
      );
  }
  if (mi.outputCollection && !mi.outputElement)
    problems.push(
      ': an output collection needs an output element: set "Output element" under Multi-instance to the FEEL value each instance adds (for example =approved)',
    );
  if (mi.outputElement && !mi.outputCollection)
    problems.push(
      ': an output element needs an output collection to gather into: set "Output collection" under Multi-instance',
    );
  return problems;
}

/**
 * Service tasks whose job type no handler of this service carries out: work for external job workers, which
 * take the jobs from the queue named after the type.
 */
export function externalJobTypes(
  model: ProcessModel,
  hasHandler: (jobType: string) => boolean,
): Array<ElementInfo & { readonly jobType: string }> {
  const found: Array<ElementInfo & { readonly jobType: string }> = [];
  for (const element of model.elements.values()) {
    const { jobType } = element;
    if (jobType && !jobTypeProblem(jobType) && !hasHandler(jobType)) found.push({ ...element, jobType });
  }
  return found;
}

/** A throw or end event that throws a message (a job) or a signal (a broadcast), and nothing else. */
function isMessageOrSignalThrow(element: ElementInfo): boolean {
  return (
    element.eventDefinitions.length === 1 &&
    (element.eventDefinitions[0] === 'bpmn:MessageEventDefinition' ||
      element.eventDefinitions[0] === 'bpmn:SignalEventDefinition')
  );
}

/**
 * Why a message or signal throw or end event cannot run, or undefined. A message one is a job (Camunda 8): it needs
 * a job type as a service task does. A signal one broadcasts its signal, which it must name.
 */
function throwEventProblem(element: ElementInfo, raw: ModdleElement | undefined): string | undefined {
  if (element.eventDefinitions[0] === 'bpmn:SignalEventDefinition') {
    const definition = ((raw?.eventDefinitions as ModdleElement[] | undefined) ?? [])[0];
    return definition?.signalRef
      ? undefined
      : 'has no signal: a signal event broadcasts a signal by its name; choose one under Signal';
  }
  const problem = jobTypeProblem(element.jobType);
  return problem
    ? `${problem} (a message throw or end event is worked as a job, like a send task)`
    : undefined;
}

/**
 * Event sub-processes run in the process or in the embedded sub-process they sit in (listening while it runs), started
 * by one message, signal, timer, error or escalation start event (interrupting or not; an error one always
 * interrupts). Anything else is refused in the designer's words.
 */
function eventSubProcessProblems(
  model: ProcessModel,
  bounds: TimerBounds,
  checkExpression: (expression: string) => string | undefined,
  now: () => Date,
): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  for (const esp of model.elements.values()) {
    if (esp.type !== 'bpmn:SubProcess') continue;
    const starts = [...model.elements.values()].filter(
      (e) => e.type === 'bpmn:StartEvent' && e.parentId === esp.id,
    );
    const triggered = starts.some((s) => s.eventSubProcess);
    if (!triggered) continue;
    const it = the(esp);
    if (starts.length !== 1) {
      problems.push([esp.id, `${it} needs exactly one start event, this one has ${starts.length}: keep one`]);
      continue;
    }
    const start = starts[0]!;
    const kind = start.eventDefinitions.length === 1 ? start.eventDefinitions[0] : undefined;
    switch (kind) {
      case 'bpmn:MessageEventDefinition':
        if (!start.message)
          problems.push([start.id, `${the(start)} has no message: choose one under Message`]);
        break;
      case 'bpmn:SignalEventDefinition':
        if (!start.signal) problems.push([start.id, `${the(start)} has no signal: choose one under Signal`]);
        break;
      case 'bpmn:TimerEventDefinition': {
        const problem = start.timer
          ? checkTimer(start.timer, bounds, checkExpression, now)
          : 'the timer has no duration, date or cycle expression: set its type and value under Timer';
        if (problem) problems.push([start.id, `${the(start)}: ${problem}`]);
        break;
      }
      case 'bpmn:EscalationEventDefinition':
        // Caught from an escalation thrown inside the process that no boundary catches; interrupting or not.
        break;
      case 'bpmn:ErrorEventDefinition':
        if (start.eventSubProcess?.interrupting === false)
          problems.push([
            start.id,
            `${the(start)}: an error start event always interrupts: tick "Interrupting" on it`,
          ]);
        break;
      default:
        problems.push([
          start.id,
          `${the(start)} is ${start.eventDefinitions.length === 0 ? 'a plain' : triggers(start)} start event of an event sub-process: the engine starts event sub-processes by message, signal, timer, error or escalation: make it one of these`,
        ]);
    }
  }
  return problems;
}

/** Why a service task's job type cannot be worked, or undefined. */
function jobTypeProblem(jobType: string | undefined): string | undefined {
  if (!jobType)
    return 'needs a job type (zeebe:taskDefinition type): set "Type" under Task definition to the kind of work';
  if (jobType.trimStart().startsWith('='))
    return `has the job type ${quoted(jobType)}, an expression: job types are not evaluated here; write the type itself`;
  if (jobType.length > MAX_KEY_LENGTH)
    return `has a job type of ${jobType.length} characters: a job type may have at most ${MAX_KEY_LENGTH}`;
  // A type with ":" (a Camunda connector's, io.camunda:http-json:1) is never one of the service's own handlers,
  // whose names are dotted words: its jobs wait for an external worker, such as a connector runtime, and are put
  // on no queue (a queue name cannot hold ":").
  return undefined;
}

/** Where zeebe:ioMapping is applied: the elements that wait for work (their job, task or child instance). */
const IO_MAPPED_TYPES: ReadonlySet<string> = new Set([
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:ReceiveTask',
  'bpmn:BusinessRuleTask',
  'bpmn:CallActivity',
]);

/**
 * Whether an element's zeebe:ioMapping is applied: on tasks that wait and call activities, on embedded
 * sub-processes (a local scope), and on catch events whose message or signal brings variables.
 */
function appliesIoMapping(element: ElementInfo, raw: ModdleElement | undefined): boolean {
  if (IO_MAPPED_TYPES.has(element.type)) return true;
  if (element.type === 'bpmn:SubProcess') return raw?.triggeredByEvent !== true;
  if (element.type === 'bpmn:IntermediateCatchEvent' || element.type === 'bpmn:BoundaryEvent')
    return element.message !== undefined || element.signal !== undefined;
  return false;
}

function article(words: string): string {
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}

/**
 * Advice that does not block a deployment: zeebe settings the modeler offers but this engine does not apply.
 */
export function processWarnings(model: ProcessModel): FieldError[] {
  const warnings: FieldError[] = [];
  const raws = flowElementsById(model.moddleRoot, model.processId);
  for (const element of model.elements.values()) {
    if (element.type === 'bpmn:UserTask') {
      if (element.candidateGroups.length === 0)
        warnings.push({
          field: element.id,
          message: `${the(element)} has no candidate group: only coordinators (project-manager) and administrators see it in their inbox; set "Candidate groups" under Assignment to one of the roles (${roleList()})`,
        });
      if (!element.formKey)
        warnings.push({
          field: element.id,
          message: `${the(element)} has no form: it is completed with any JSON object of variables, unchecked; link a deployed form (form id) under Form to check what people enter`,
        });
    }
    const extensions = extensionValues(raws.get(element.id));
    for (const extension of extensions) {
      if (extension.$type === 'zeebe:IoMapping' && !appliesIoMapping(element, raws.get(element.id)))
        warnings.push({
          field: element.id,
          message: `input/output mappings are not applied on ${article(typeWords(element.type))}: only on tasks that wait (user, service, send, receive and business rule tasks), call activities, embedded sub-processes and message or signal catch events; move the mapping onto one of them`,
        });
      if (
        extension.$type === 'zeebe:AssignmentDefinition' &&
        (extension.assignee || extension.candidateUsers)
      )
        warnings.push({
          field: element.id,
          message:
            'assignee and candidate users are not applied here: the candidate groups decide who works the task',
        });
      if (extension.$type === 'zeebe:ExecutionListeners' || extension.$type === 'zeebe:TaskListeners')
        warnings.push({ field: element.id, message: 'listeners are not run by this engine' });
    }
  }
  return warnings;
}

function supportedList(): string {
  return [...SUPPORTED_ELEMENT_TYPES].map(typeWords).join(', ');
}

function roleList(): string {
  return [...KNOWN_GROUPS].join(', ');
}

/** `bpmn:IntermediateCatchEvent` as a designer says it: "intermediate catch event". */
export function typeWords(type: string): string {
  return type
    .replace(/^[a-z]+:/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** How a message names its element: `the user task "Review the request"`, or `the user task` when it has no name. */
export function the(element: Pick<ElementInfo, 'type' | 'name'>): string {
  const name = element.name?.replace(/\s+/g, ' ').trim();
  return name ? `the ${typeWords(element.type)} ${quoted(name)}` : `the ${typeWords(element.type)}`;
}

/** What kind of event an element's definitions make it, with its article: "a message", "an error and timer". */
function triggers(element: ElementInfo): string {
  const kinds = element.eventDefinitions
    .map((d) => typeWords(d).replace(/ event definition$/, ''))
    .join(' and ');
  return `${/^[aeiou]/.test(kinds) ? 'an' : 'a'} ${kinds}`;
}

/** A designer's text in a message: quoted, on one line, and cut short when long. */
function quoted(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return `"${line.length > 80 ? `${line.slice(0, 77)}...` : line}"`;
}

/**
 * A timer start event's date or cycle: FEEL that parses and, evaluated without variables as at deploy, gives a date
 * or cycle; ISO 8601 or a cron expression, within the timer bounds (no cycle shorter than TIMER_MIN_CYCLE_MS).
 */
function startTimerProblem(
  timer: NonNullable<ElementInfo['timer']>,
  bounds: TimerBounds,
  checkExpression: (expression: string) => string | undefined,
  now: () => Date,
): string | undefined {
  if (!timer.expression) return `the timer needs a ${timer.kind} expression`;
  if (isFeel(timer.expression)) {
    const problem = checkExpression(timer.expression);
    if (problem) return problem;
  }
  return scheduleProblem(timer, bounds, now());
}

/** A timer's expression: FEEL that parses, or ISO 8601 as the engine reads it, within the timer bounds. */
function checkTimer(
  timer: NonNullable<ElementInfo['timer']>,
  bounds: TimerBounds,
  checkExpression: (expression: string) => string | undefined,
  now: () => Date,
): string | undefined {
  const { kind, expression } = timer;
  if (!expression) return `the timer needs a ${kind} expression`;
  if (isFeel(expression)) return checkExpression(expression);
  return timerProblem(kind, expression, bounds, now());
}

/** The moddle flow elements of the process, by id (the model keeps only what the engine host needs). */
function flowElementsById(root: ModdleElement, processId: string): Map<string, ModdleElement> {
  const byId = new Map<string, ModdleElement>();
  const rootElements = (root.rootElements as ModdleElement[] | undefined) ?? [];
  const visit = (container: ModdleElement | undefined) => {
    for (const element of (container?.flowElements as ModdleElement[] | undefined) ?? []) {
      if (typeof element.id === 'string') byId.set(element.id, element);
      if (element.flowElements) visit(element);
    }
  };
  visit(rootElements.find((e) => e.$type === 'bpmn:Process' && e.id === processId));
  return byId;
}

/** Extension types whose values are static text in Camunda 8, never FEEL. */
const STATIC_EXTENSIONS: ReadonlySet<string> = new Set([
  'zeebe:Header',
  'zeebe:Property',
  'zeebe:Properties',
  'zeebe:TaskHeaders',
]);

function extensionValues(element: ModdleElement | undefined): ModdleElement[] {
  const ext = element?.extensionElements as ModdleElement | undefined;
  return ((ext?.values as ModdleElement[] | undefined) ?? []).filter(Boolean);
}

/** Every string attribute starting with "=" in an extension tree, with the path that names it. */
function feelAttributes(root: unknown): Array<{ attribute: string; expression: string }> {
  const found: Array<{ attribute: string; expression: string }> = [];
  const seen = new Set<unknown>();
  const visit = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((child) => visit(child, path));
      return;
    }
    const element = node as ModdleElement;
    if (STATIC_EXTENSIONS.has(element.$type)) return;
    const name = typeof element.$type === 'string' ? element.$type : path;
    for (const [key, value] of Object.entries(element)) {
      if (key.startsWith('$')) continue;
      if (typeof value === 'string' && isFeel(value))
        found.push({ attribute: `${name} ${key}`, expression: value });
      else if (value && typeof value === 'object') visit(value, name);
    }
  };
  visit(root, 'extension');
  return found;
}
