import { ISOInterval, getDate } from '@0dep/piso';
import type { ElementInfo, ProcessModel } from './process-model-types.js';

/** What the host keeps of the event sub-processes of one instance, stored beside the engine state. */
export interface EventSubProcessState {
  /** How often each start event fired. */
  fired: Record<string, number>;
  /** When each start event's current subscription opened (ISO), on the host's clock: a timer counts from it. */
  armedAt: Record<string, string>;
  /** An interrupting one fired: the scope's other subscriptions are closed for good. */
  interrupted: boolean;
  /**
   * The executions of the sub-processes in which an interrupting event sub-process fired (their other subscriptions
   * are closed for good). The starts of event sub-processes inside sub-processes are kept in `fired` and `armedAt`
   * under `eventStartKey`, per execution of their sub-process. Absent in states saved before they ran.
   */
  interruptedScopes?: string[];
}

export function emptyEventSubProcessState(): EventSubProcessState {
  return { fired: {}, armedAt: {}, interrupted: false };
}

export type EventStartKind = 'message' | 'signal' | 'timer' | 'error' | 'escalation';

export type EventStart = ElementInfo & {
  readonly eventSubProcess: NonNullable<ElementInfo['eventSubProcess']>;
};

/** The start events of the process's own event sub-processes (not those nested in sub-processes), by kind. */
export function eventSubProcessStarts(process: Pick<ProcessModel, 'elements' | 'processId'>): EventStart[] {
  return eventSubProcessStartsIn(process, process.processId);
}

/**
 * The start events of the event sub-processes that sit directly in `scopeId`: the process (its id) or an embedded
 * sub-process, whose event sub-processes listen while it runs.
 */
export function eventSubProcessStartsIn(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  scopeId: string,
): EventStart[] {
  const found: EventStart[] = [];
  for (const element of process.elements.values()) {
    const esp = element.eventSubProcess;
    if (!esp) continue;
    if (scopeOfElement(process, esp.id) !== scopeId) continue;
    found.push({ ...element, eventSubProcess: esp });
  }
  return found;
}

/** Whether any event sub-process sits inside a sub-process (the host then follows the sub-processes' executions). */
export function hasNestedEventSubProcesses(process: Pick<ProcessModel, 'elements' | 'processId'>): boolean {
  for (const element of process.elements.values())
    if (element.eventSubProcess && scopeOfElement(process, element.eventSubProcess.id) !== process.processId)
      return true;
  return false;
}

/** The scope an element sits in: its sub-process, or the process (its id). */
function scopeOfElement(process: Pick<ProcessModel, 'elements' | 'processId'>, elementId: string): string {
  return process.elements.get(elementId)?.parentId ?? process.processId;
}

/** The event sub-process `id` (as its start event names it), or undefined when `id` is none. */
function eventSubProcessNamed(
  process: Pick<ProcessModel, 'elements'>,
  id: string,
): ElementInfo['eventSubProcess'] | undefined {
  for (const element of process.elements.values())
    if (element.eventSubProcess?.id === id) return element.eventSubProcess;
  return undefined;
}

/**
 * Where a start event's subscription state is kept: a top-level one under its id (as states saved before nested
 * ones ran keep it), one inside a sub-process under its id and the execution of its sub-process.
 */
export function eventStartKey(startId: string, scopeExecutionId?: string): string {
  return scopeExecutionId === undefined ? startId : `${startId}@${scopeExecutionId}`;
}

export function eventStartKind(element: ElementInfo): EventStartKind | undefined {
  if (element.eventDefinitions.length !== 1) return undefined;
  switch (element.eventDefinitions[0]) {
    case 'bpmn:MessageEventDefinition':
      return element.message ? 'message' : undefined;
    case 'bpmn:SignalEventDefinition':
      return element.signal ? 'signal' : undefined;
    case 'bpmn:TimerEventDefinition':
      return element.timer ? 'timer' : undefined;
    case 'bpmn:ErrorEventDefinition':
      return 'error';
    case 'bpmn:EscalationEventDefinition':
      return 'escalation';
    default:
      return undefined;
  }
}

/**
 * When a timer start event fires next, counted from when its subscription opened: a date once, a duration once
 * after it, a cycle every interval until its repetitions are spent. Undefined: it fires no more.
 */
export function nextTimerExpiry(
  timer: NonNullable<ElementInfo['timer']>,
  value: string,
  armedAt: Date,
  fired: number,
): Date | undefined {
  if (timer.kind === 'timeDate') return fired > 0 ? undefined : getDate(value);
  const parsed = new ISOInterval(value).parse();
  if (timer.kind === 'timeDuration') return fired > 0 ? undefined : parsed.getExpireAt(armedAt, armedAt);
  if (parsed.repeat !== undefined && parsed.repeat >= 0 && fired >= parsed.repeat) return undefined;
  if (parsed.duration) return parsed.duration.getExpireAt(armedAt);
  return parsed.getExpireAt(armedAt, armedAt);
}

/** The execution id of a start event's current subscription: a new one after each firing. */
export function eventStartExecutionId(startId: string, fired: number, scopeExecutionId?: string): string {
  return scopeExecutionId === undefined
    ? `${startId}~event-${fired}`
    : `${startId}~${scopeExecutionId}~event-${fired}`;
}

/** A subscription of an event sub-process's start event that the instance holds open now. */
export interface EventStartWait {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: 'message' | 'signal' | 'timer';
  readonly expireAt?: Date;
  /** The execution of the sub-process it listens in; undefined: the process's own. */
  readonly scopeExecutionId?: string;
  /** The local variables of that sub-process: its correlation key and timer see them. */
  readonly variables?: Record<string, unknown>;
}

/** One scope whose event sub-processes listen: the process, or one running execution of an embedded sub-process. */
export interface EventScope {
  /** The process's id, or the sub-process's element id. */
  readonly scopeId: string;
  /** The sub-process's execution; undefined for the process. */
  readonly executionId?: string;
  /** The elements running directly in it now (an event sub-process among them runs). */
  readonly running: ReadonlySet<string>;
  /** Its local variables (a sub-process's input mappings and the scopes around it). */
  readonly variables?: Record<string, unknown>;
}

/** Whether an interrupting event sub-process fired in the scope: its other starts are closed for good. */
export function scopeInterrupted(
  state: EventSubProcessState,
  scope: Pick<EventScope, 'executionId'>,
): boolean {
  return scope.executionId === undefined
    ? state.interrupted
    : (state.interruptedScopes ?? []).includes(scope.executionId);
}

/**
 * The subscriptions the event sub-processes hold open while their scope runs (the process, or an execution of the
 * embedded sub-process they sit in): every message, signal and timer start, until an interrupting one fired in that
 * scope, but not while its own event sub-process runs there; a timer while it has a next expiry. `timerValue` gives
 * a timer's ISO 8601 text (a FEEL one evaluated, seeing the scope's variables).
 */
export function openEventStarts(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  state: EventSubProcessState,
  now: Date,
  timerValue: (element: ElementInfo, scope: EventScope) => string,
  scopes: readonly EventScope[],
): EventStartWait[] {
  const waits: EventStartWait[] = [];
  for (const scope of scopes) {
    if (scopeInterrupted(state, scope)) continue;
    for (const start of eventSubProcessStartsIn(process, scope.scopeId)) {
      // The engine runs one instance of an event sub-process at a time: its start opens again when it ends (a
      // message published meanwhile waits buffered for it, within its time to live).
      if (scope.running.has(start.eventSubProcess.id)) continue;
      const kind = eventStartKind(start);
      if (kind === undefined || kind === 'error' || kind === 'escalation') continue;
      const key = eventStartKey(start.id, scope.executionId);
      const fired = state.fired[key] ?? 0;
      const wait = {
        elementId: start.id,
        executionId: eventStartExecutionId(start.id, fired, scope.executionId),
        kind,
        ...(scope.executionId === undefined ? {} : { scopeExecutionId: scope.executionId }),
        ...(scope.variables && Object.keys(scope.variables).length > 0 ? { variables: scope.variables } : {}),
      };
      if (kind !== 'timer') {
        waits.push(wait);
        continue;
      }
      const armedAt = state.armedAt[key] ? new Date(state.armedAt[key]!) : now;
      const expireAt = nextTimerExpiry(start.timer!, timerValue(start, scope), armedAt, fired);
      if (expireAt && !Number.isNaN(expireAt.getTime())) waits.push({ ...wait, expireAt });
    }
  }
  return waits;
}

/** What an error or escalation throw carries: its kind and its code (none: a throw without a reference). */
export interface ThrownEvent {
  readonly kind: 'error' | 'escalation';
  readonly code: string | undefined;
}

const THROWN_DEFINITION = {
  error: 'bpmn:ErrorEventDefinition',
  escalation: 'bpmn:EscalationEventDefinition',
} as const;

function catches(element: ElementInfo, thrown: ThrownEvent): boolean {
  const code = thrown.kind === 'error' ? element.errorCode : element.escalationCode;
  return (
    element.eventDefinitions.length === 1 &&
    element.eventDefinitions[0] === THROWN_DEFINITION[thrown.kind] &&
    (code === undefined || code === thrown.code)
  );
}

/** What catches a throw first: a boundary event (the engine's business) or an event sub-process's start. */
export type NearestCatch =
  | { readonly by: 'boundary' }
  | { readonly by: 'event'; readonly start: EventStart; readonly scopeId: string };

/**
 * What catches what is thrown at `elementId` first, from the inside out (Camunda 8): a boundary event on the element;
 * then, scope by scope, the event sub-processes of the sub-process it sits in (one naming the code before a
 * catch-all one), the boundary events on that sub-process, and so on up to the process's own event sub-processes.
 * Thrown inside a running event sub-process, it goes outward: that event sub-process does not catch it, nor, when it
 * interrupted its scope (whose other subscriptions are then closed), the others of that scope. Undefined: nothing
 * catches it.
 */
export function nearestCatch(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  elementId: string,
  thrown: ThrownEvent,
): NearestCatch | undefined {
  const boundaryOn = (id: string) => {
    for (const element of process.elements.values())
      if (element.type === 'bpmn:BoundaryEvent' && element.attachedToRef === id && catches(element, thrown))
        return true;
    return false;
  };
  if (boundaryOn(elementId)) return { by: 'boundary' };
  const code = (s: ElementInfo) => (thrown.kind === 'error' ? s.errorCode : s.escalationCode);
  const seen = new Set<string>();
  // The event sub-process the throw is leaving (an event sub-process has no boundary events of its own).
  let leaving: NonNullable<ElementInfo['eventSubProcess']> | undefined;
  for (let scopeId = scopeOfElement(process, elementId); !seen.has(scopeId);) {
    seen.add(scopeId);
    const open = (s: EventStart) =>
      leaving === undefined || (!leaving.interrupting && s.eventSubProcess.id !== leaving.id);
    const starts = eventSubProcessStartsIn(process, scopeId).filter((s) => open(s) && catches(s, thrown));
    const start = starts.find((s) => thrown.code !== undefined && code(s) === thrown.code) ?? starts[0];
    if (start) return { by: 'event', start, scopeId };
    if (scopeId === process.processId) return undefined;
    leaving = eventSubProcessNamed(process, scopeId);
    if (!leaving && boundaryOn(scopeId)) return { by: 'boundary' };
    scopeId = scopeOfElement(process, scopeId);
  }
  return undefined;
}

/**
 * The event sub-process start that catches what is thrown at `elementId` first, when no boundary event nearer to it
 * does (those the engine handles itself).
 */
export function eventStartCatching(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  elementId: string,
  thrown: ThrownEvent,
): EventStart | undefined {
  const caught = nearestCatch(process, elementId, thrown);
  return caught?.by === 'event' ? caught.start : undefined;
}

/** What an error or escalation throw or end event throws, or undefined for any other element. */
export function thrownBy(element: ElementInfo): ThrownEvent | undefined {
  if (element.type !== 'bpmn:EndEvent' && element.type !== 'bpmn:IntermediateThrowEvent') return undefined;
  if (element.eventDefinitions.length !== 1) return undefined;
  if (element.eventDefinitions[0] === 'bpmn:ErrorEventDefinition' && element.type === 'bpmn:EndEvent')
    return { kind: 'error', code: element.errorCode };
  if (element.eventDefinitions[0] === 'bpmn:EscalationEventDefinition')
    return { kind: 'escalation', code: element.escalationCode };
  return undefined;
}

/**
 * The throw and end events whose error or escalation the host takes over: an error end event no boundary catches
 * first (an event sub-process catches it, or it is an incident), an escalation one an event sub-process catches
 * first. The engine runs them as waits; the others it runs itself (a boundary catches them, or an escalation nothing
 * catches passes on, as in Camunda 8).
 */
export function hostThrownEvents(process: Pick<ProcessModel, 'elements' | 'processId'>): Set<string> {
  const ids = new Set<string>();
  for (const element of process.elements.values()) {
    const thrown = thrownBy(element);
    if (!thrown) continue;
    const caught = nearestCatch(process, element.id, thrown);
    if (caught?.by === 'boundary') continue;
    if (thrown.kind === 'error' || caught?.by === 'event') ids.add(element.id);
  }
  return ids;
}
