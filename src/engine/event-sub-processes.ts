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
}

export function emptyEventSubProcessState(): EventSubProcessState {
  return { fired: {}, armedAt: {}, interrupted: false };
}

export type EventStartKind = 'message' | 'signal' | 'timer' | 'error' | 'escalation';

/** The start events of the process's own event sub-processes (not those nested in sub-processes), by kind. */
export function eventSubProcessStarts(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
): Array<ElementInfo & { readonly eventSubProcess: NonNullable<ElementInfo['eventSubProcess']> }> {
  const found: Array<
    ElementInfo & { readonly eventSubProcess: NonNullable<ElementInfo['eventSubProcess']> }
  > = [];
  for (const element of process.elements.values()) {
    const esp = element.eventSubProcess;
    if (!esp) continue;
    const parent = process.elements.get(esp.id);
    if (parent?.parentId !== undefined && parent.parentId !== process.processId) continue;
    found.push({ ...element, eventSubProcess: esp });
  }
  return found;
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
export function eventStartExecutionId(startId: string, fired: number): string {
  return `${startId}~event-${fired}`;
}

/** A subscription of an event sub-process's start event that the instance holds open now. */
export interface EventStartWait {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: 'message' | 'signal' | 'timer';
  readonly expireAt?: Date;
}

/**
 * The subscriptions the process's event sub-processes hold open while the instance runs: every message, signal and
 * timer start, until an interrupting one fired, but not while its own sub-process runs; a timer while it has a next
 * expiry. `timerValue` gives a timer's
 * ISO 8601 text (a FEEL one evaluated).
 */
export function openEventStarts(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  state: EventSubProcessState,
  now: Date,
  timerValue: (element: ElementInfo) => string,
  running: ReadonlySet<string>,
): EventStartWait[] {
  if (state.interrupted) return [];
  const waits: EventStartWait[] = [];
  for (const start of eventSubProcessStarts(process)) {
    // The engine runs one instance of an event sub-process at a time: its start opens again when it ends (a
    // message published meanwhile waits buffered for it, within its time to live).
    if (running.has(start.eventSubProcess.id)) continue;
    const kind = eventStartKind(start);
    if (kind === undefined || kind === 'error' || kind === 'escalation') continue;
    const fired = state.fired[start.id] ?? 0;
    const executionId = eventStartExecutionId(start.id, fired);
    if (kind !== 'timer') {
      waits.push({ elementId: start.id, executionId, kind });
      continue;
    }
    const armedAt = state.armedAt[start.id] ? new Date(state.armedAt[start.id]!) : now;
    const expireAt = nextTimerExpiry(start.timer!, timerValue(start), armedAt, fired);
    if (expireAt && !Number.isNaN(expireAt.getTime()))
      waits.push({ elementId: start.id, executionId, kind, expireAt });
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

/** Whether a boundary event on the element or on a sub-process around it catches what is thrown there. */
export function boundaryCatches(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  elementId: string,
  thrown: ThrownEvent,
): boolean {
  const scopes = new Set<string>();
  for (let id: string | undefined = elementId; id && id !== process.processId;) {
    scopes.add(id);
    id = process.elements.get(id)?.parentId;
  }
  for (const element of process.elements.values())
    if (
      element.type === 'bpmn:BoundaryEvent' &&
      scopes.has(element.attachedToRef ?? '') &&
      catches(element, thrown)
    )
      return true;
  return false;
}

/**
 * The event sub-process start that catches what is thrown at `elementId`, when no boundary event on the element or
 * on a sub-process around it catches it first (those the engine handles itself). One naming the code goes before a
 * catch-all one.
 */
export function eventStartCatching(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  elementId: string,
  thrown: ThrownEvent,
): ElementInfo | undefined {
  if (boundaryCatches(process, elementId, thrown)) return undefined;
  const starts = eventSubProcessStarts(process).filter((s) => catches(s, thrown));
  const code = (s: ElementInfo) => (thrown.kind === 'error' ? s.errorCode : s.escalationCode);
  return starts.find((s) => thrown.code !== undefined && code(s) === thrown.code) ?? starts[0];
}

/**
 * The error event sub-process that catches `errorCode` thrown at `elementId`, when no error boundary event on the
 * element or on a sub-process around it catches it first (those the engine handles itself).
 */
export function errorEventStartFor(
  process: Pick<ProcessModel, 'elements' | 'processId'>,
  elementId: string,
  errorCode: string,
): ElementInfo | undefined {
  return eventStartCatching(process, elementId, { kind: 'error', code: errorCode });
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
 * (an event sub-process catches it, or it is an incident), an escalation one no boundary catches but an event
 * sub-process does. The engine runs them as waits; the others it runs itself (a boundary catches them, or an
 * escalation nothing catches passes on, as in Camunda 8).
 */
export function hostThrownEvents(process: Pick<ProcessModel, 'elements' | 'processId'>): Set<string> {
  const ids = new Set<string>();
  for (const element of process.elements.values()) {
    const thrown = thrownBy(element);
    if (!thrown || boundaryCatches(process, element.id, thrown)) continue;
    if (thrown.kind === 'error' || eventStartCatching(process, element.id, thrown)) ids.add(element.id);
  }
  return ids;
}
