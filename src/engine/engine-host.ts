import { EventEmitter } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { Engine } from 'bpmn-engine';
import { Timers } from 'bpmn-elements';
import { createFeelExpressions, DEFAULT_FEEL_LIMITS, userVariables } from './feel.js';
import { engineElements, topLevelStartEvents, type CompiledProcess } from './process-model.js';
import { SCOPE_VARIABLES, scopeOf } from './zeebe-multi-instance.js';
import { applyMappings, type MappingEvaluator } from './variable-mappings.js';
import { DEFAULT_TIMER_BOUNDS, timerProblem, type TimerBounds } from './timer-bounds.js';
import {
  emptyEventSubProcessState,
  eventStartKey,
  eventSubProcessStarts,
  eventSubProcessStartsIn,
  hasNestedEventSubProcesses,
  hostThrownEvents,
  nearestCatch,
  openEventStarts,
  scopeInterrupted,
  thrownBy,
  type EventScope,
  type EventSubProcessState,
} from './event-sub-processes.js';
import { evaluateFeel, isFeel } from './feel.js';
import { GATEWAY_INCIDENT } from './gateway-incident.js';

/** One thing that happens to an instance: it starts, a waiting task is completed, or it is woken (timers). */
export type EngineCommand =
  | {
      readonly type: 'start';
      readonly variables: Record<string, unknown>;
      /**
       * The top-level start event that was triggered (a message, timer or signal start); without it the plain start
       * event. Only that one starts (Camunda 8), whatever other start events the process has.
       */
      readonly startEventId?: string;
    }
  | {
      readonly type: 'complete';
      readonly elementId: string;
      readonly executionId: string;
      readonly variables: Record<string, unknown>;
      /** The wait's local variables as stored when it opened (its input mappings): its output mappings see them. */
      readonly local?: Record<string, unknown>;
    }
  /**
   * The work of a waiting activity ended in a BPMN error (a job worker threw it): the nearest boundary or enclosing
   * error event that catches `errorCode` takes over; when none does, the run fails (the caller's incident).
   */
  | {
      readonly type: 'throw';
      readonly elementId: string;
      readonly executionId: string;
      readonly errorCode: string;
      readonly errorMessage: string;
      readonly variables: Record<string, unknown>;
    }
  /** Wake the instance; the timers waiting in `due` (execution ids) have expired by the host's clock. */
  | { readonly type: 'wake'; readonly due?: readonly string[] };

/** `incident`: a gateway that found no outgoing flow to take waits for its incident to be resolved. */
export type WaitKind =
  'user-task' | 'service-task' | 'timer' | 'message' | 'signal' | 'call' | 'incident' | 'other';

/**
 * An incident the run raised at a waiting element, with its reason: a gateway with no flow to take
 * (`CONDITION_ERROR`), a completion whose output mappings failed (`IO_MAPPING_ERROR`): the completion is taken,
 * the element waits, and resolving the incident applies the completion (`completion`, its variables) again; or an
 * error end event whose error nothing catches (`UNHANDLED_ERROR_EVENT`): it waits, and resolving the incident
 * throws its error again.
 */
export interface EngineIncident {
  readonly elementId: string;
  readonly executionId: string;
  readonly reason: string;
  readonly type: EngineIncidentType;
  readonly completion?: Record<string, unknown>;
}

export type EngineIncidentType = 'CONDITION_ERROR' | 'IO_MAPPING_ERROR' | 'UNHANDLED_ERROR_EVENT';

/** An activity the instance is waiting in after a run. */
export interface EngineWait {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: WaitKind;
  /** When a timer started in this run expires, on the clock of the run's `now`. */
  readonly expireAt?: Date;
  /**
   * The wait's local variables (an inner instance's input element and loop counter, with those of the scopes it
   * sits in): its job and FEEL see them over the process variables.
   */
  readonly variables?: Record<string, unknown>;
}

export type EngineStepType =
  'activity.start' | 'activity.end' | 'activity.wait' | 'activity.timer' | 'flow.take';

/** What the engine did during a run, in order: the raw material of the history. */
export interface EngineStep {
  readonly type: EngineStepType;
  readonly elementId: string;
  readonly executionId?: string;
  readonly at: Date;
}

export interface EngineRun {
  /**
   * The engine state to store: without the definition source, which is stored once per version. Null once the
   * instance has finished: an ended instance never runs again, and its history tells what it did.
   */
  readonly state: StoredEngineState | null;
  /** `state` as JSON text, taken once per run: what is stored, and the live-engine cache's size estimate. */
  readonly stateJson: string | null;
  readonly finished: boolean;
  /** The releaseStatus property of the last end event reached that carries one. */
  readonly endStatus?: string;
  readonly variables: Record<string, unknown>;
  readonly waits: readonly EngineWait[];
  readonly steps: readonly EngineStep[];
  /** Incidents raised in this run (at a wait opened now, or again at one whose incident was being resolved). */
  readonly incidents: readonly EngineIncident[];
  /** Where the engine came from: the live-engine cache ('hit'), rebuilt from the stored state ('miss'), or a run
   * that does not use the cache ('none'). */
  readonly cache: 'hit' | 'miss' | 'none';
}

export type StoredEngineState = { definitions: Array<Record<string, unknown>> } & Record<string, unknown>;

/** The command cannot be applied (nothing waits there, or the process failed on it): nothing is to be saved. */
export class EngineRunError extends Error {}

interface ElementApi {
  id: string;
  type: string;
  executionId?: string;
  sendApiMessage(action: string, content: Record<string, unknown>): void;
  signal(message: Record<string, unknown>): void;
  getPostponed?(): ElementApi[];
  /** The inner executions of an activity (the inner instances of a multi-instance body). */
  getExecuting?(): ElementApi[];
  environment?: { variables?: Record<string, unknown> };
  /** The activity behind the API: a sub-process's executions are reached through it (`subProcessExecutions`). */
  owner?: { execution?: { source?: { executions?: readonly ScopeExecution[] } } };
  content: Record<string, unknown> & {
    index?: unknown;
    parent?: ParentRef & { path?: readonly ParentRef[] };
    expireAt?: unknown;
    output?: unknown;
  };
}

interface ParentRef {
  id?: string;
  executionId?: string;
}

/** One execution of an embedded sub-process (bpmn-elements' ProcessExecution): the scope its children run in. */
interface ScopeExecution {
  readonly executionId: string;
  readonly environment: { variables: Record<string, unknown> };
  getPostponed(): ElementApi[];
  getActivityById(id: string): { run(message?: unknown): void } | undefined;
}

/** A scope whose event sub-processes listen, with the execution to run them in (none: the process's own). */
type RunningScope = EventScope & { readonly execution?: ScopeExecution };

interface RunningExecution {
  getPostponed(): ElementApi[];
  getState(): Promise<StoredEngineState> | StoredEngineState;
  signal(payload: Record<string, unknown>): void;
  definitions: Array<{ getProcesses(): Array<{ environment: { variables: Record<string, unknown> } }> }>;
}

const MAX_SETTLE_TICKS = 10_000;
/** Errors and escalations one command may set off in turn: a loop of them is a design fault, not work. */
const MAX_THROWS_PER_RUN = 100;

/**
 * Task outputs land in the process scope (Camunda 8 semantics): a completion carries `variables`, merged
 * into the process variables when the activity ends, so the gateways after it route on them. The merge
 * listens from the activity's construction on and the extension returns nothing: bpmn-elements then neither
 * copies the run message for it nor subscribes and cancels at every run of every activity.
 */
const taskOutputExtension = {
  mergeOutput(activity: {
    environment: { variables: Record<string, unknown> };
    on(event: string, handler: (api: ElementApi) => void, options: { consumerTag: string }): void;
  }): undefined {
    activity.on(
      'end',
      (api) => {
        const output = api.content.output as { variables?: Record<string, unknown> } | undefined;
        if (output?.variables && typeof output.variables === 'object') {
          Object.assign(activity.environment.variables, output.variables);
        }
      },
      { consumerTag: '_release-flow-output' },
    );
    return undefined;
  },
};

/**
 * Durable timers are delayed queue jobs, so the engine never arms one in memory: expired ones complete on
 * resume, and the ones the host holds due are completed through the callbacks kept here.
 */
function heldTimers(held: Map<string, () => void>) {
  return new Timers({
    setTimeout: (callback: () => void, _delay: number, owner?: { executionId?: string }) => {
      if (owner?.executionId) held.set(owner.executionId, callback);
      return owner?.executionId;
    },
    clearTimeout: (executionId?: string) => {
      if (executionId) held.delete(executionId);
    },
  } as never);
}

const noScripts = {
  getScript: () => undefined,
  register: () => undefined,
};

/**
 * bpmn-engine makes three `debug` loggers for every element of every engine it builds, and each asks whether
 * stderr is a terminal: a few percent of a durable pass. Unless DEBUG names bpmn-engine, every element shares one
 * logger that writes nothing; with it, the engine's own loggers are used.
 */
const silentLogger = Object.freeze({ debug() {}, error() {}, warn() {} });
const engineLogger = /bpmn-engine|^\*$|,\*/.test(process.env.DEBUG ?? '')
  ? undefined
  : { Logger: () => silentLogger };

export interface EngineHostOptions {
  /** Time one FEEL evaluation may take: past it, the step fails (an incident), the process goes on. */
  readonly feelTimeoutMs: number;
  /** Bounds a timer value made by FEEL must meet, as written ones must at deploy. */
  readonly timers: TimerBounds;
  /** Live engines kept between commands (0 turns the cache off) and the memory they may take, estimated. */
  readonly cache?: LiveEngineCacheOptions;
}

/** The instance a run belongs to, at the revision read under its row lock: the key of the live-engine cache. */
export interface InstanceAtRevision {
  readonly id: string;
  readonly revision: number;
}

/** The per-run sink the engine's listeners write to; a live engine gets a new one per command. */
interface RunSink {
  readonly steps: EngineStep[];
  /** Waits that existed before the command: a resumed engine announces them again, and they are not new. */
  readonly known: ReadonlySet<string>;
  readonly skewMs: number;
  endStatus?: string;
  readonly incidents?: EngineIncident[];
}

/**
 * One engine and its running execution. Timers are held here (their callbacks), never armed in memory, so a live
 * engine does nothing between commands; the cache keeps it while its instance stays at the stored revision.
 */
class LiveEngine {
  readonly engine: Engine;
  readonly held = new Map<string, () => void>();
  readonly ownerOfDefinition = new Map<string, string>();
  /** When each held timer expires, on the host's clock, by the execution id of the activity that waits. */
  readonly expiries = new Map<string, Date>();
  readonly listener = new EventEmitter();
  execution: RunningExecution | undefined;
  finished = false;
  failure: unknown;
  sink: RunSink = { steps: [], known: new Set(), skewMs: 0 };
  /** The stored state's size: the cache's estimate of what this engine holds. */
  bytes = 0;
  /** The subscriptions of the process's event sub-processes, which the host holds (event-sub-processes.ts). */
  events: EventSubProcessState = emptyEventSubProcessState();
  /** The throw and end events whose error or escalation the host takes over. */
  private readonly thrownHere: ReadonlySet<string>;
  /** Event sub-processes sit inside sub-processes: the host follows the sub-processes' executions. */
  private readonly nestedEvents: boolean;

  constructor(
    readonly process: CompiledProcess,
    private readonly expressions: ReturnType<typeof createFeelExpressions>,
    /** The start event the instance started at, when it runs on that start's context (see startContextOf). */
    private readonly startEventId?: string,
  ) {
    this.thrownHere = hostThrownEvents(process);
    this.nestedEvents = hasNestedEventSubProcesses(process);
    const record = (type: EngineStepType) => (api: ElementApi) => {
      this.sink.steps.push({ type, elementId: api.id, executionId: api.executionId, at: new Date() });
    };
    this.listener.on('activity.start', record('activity.start'));
    this.listener.on('flow.take', record('flow.take'));
    this.listener.on('activity.wait', (api: ElementApi) => {
      if (!this.sink.known.has(api.executionId ?? '')) record('activity.wait')(api);
      const reason = api.content[GATEWAY_INCIDENT];
      if (typeof reason === 'string' && api.executionId)
        this.sink.incidents?.push({
          elementId: api.id,
          executionId: api.executionId,
          reason,
          type: 'CONDITION_ERROR',
        });
    });
    this.listener.on('activity.timer', (api: ElementApi) => {
      const owner = api.content.parent?.executionId ?? api.executionId ?? '';
      if (api.executionId) this.ownerOfDefinition.set(api.executionId, owner);
      // The engine reads the system time: the expiry it computes is moved onto the host's clock.
      const expireAt = api.content.expireAt ? new Date(api.content.expireAt as string) : undefined;
      if (expireAt && !Number.isNaN(expireAt.getTime()))
        this.expiries.set(owner, new Date(expireAt.getTime() + this.sink.skewMs));
      if (this.sink.known.has(owner)) return;
      this.sink.steps.push({ type: 'activity.timer', elementId: api.id, executionId: owner, at: new Date() });
    });
    this.listener.on('activity.end', (api: ElementApi) => {
      record('activity.end')(api);
      const status = this.process.elements.get(api.id)?.properties.releaseStatus;
      if (api.type === 'bpmn:EndEvent' && status) this.sink.endStatus = status;
    });

    this.engine = new Engine({
      name: process.processId,
      sourceContext: startEventId ? process.sourceContextFor(startEventId) : process.sourceContext,
      elements: engineElements,
      expressions,
      scripts: noScripts,
      timers: heldTimers(this.held),
      extensions: taskOutputExtension,
      ...engineLogger,
    } as never);
    this.engine.once('end', () => {
      this.finished = true;
    });
    this.engine.on('error', (err: unknown) => {
      this.failure = err;
    });
  }

  async start(variables: Record<string, unknown>): Promise<void> {
    const now = this.hostNow().toISOString();
    for (const start of eventSubProcessStarts(this.process)) this.events.armedAt[start.id] = now;
    this.execution = (await this.engine.execute({ listener: this.listener, variables } as never)) as never;
    await settle(this.engine);
    await this.takeOverThrows();
  }

  async resume(saved: StoredEngineState): Promise<void> {
    const {
      eventSubProcesses,
      startEventId: _startEventId,
      ...engineState
    } = saved as StoredEngineState & {
      eventSubProcesses?: EventSubProcessState;
      startEventId?: string;
    };
    this.events = eventSubProcesses ? structuredClone(eventSubProcesses) : emptyEventSubProcessState();
    this.engine.recover(structuredClone(engineState) as never);
    this.execution = (await this.engine.resume({ listener: this.listener } as never)) as never;
    await settle(this.engine);
  }

  /** Apply a command to the running execution and run to the next wait. */
  async apply(command: Exclude<EngineCommand, { type: 'start' }>): Promise<void> {
    const execution = this.execution;
    if (!execution || this.finished) throw new EngineRunError('the instance has ended');
    const eventStart = this.eventStartOf(command);
    let rethrow: string | undefined;
    if (eventStart) {
      await this.triggerEventSubProcess(
        eventStart.startId,
        command.type === 'wake' ? {} : command.variables,
        eventStart.scope,
      );
    } else if (command.type === 'wake') {
      const due = new Set(command.due ?? []);
      for (const [definition, complete] of [...this.held]) {
        if (due.has(this.ownerOfDefinition.get(definition) ?? '')) complete();
      }
    } else {
      const waiting = this.postponed().find((a) => a.executionId === command.executionId);
      if (!waiting || waiting.id !== command.elementId) {
        throw new EngineRunError(`nothing waits at ${command.elementId} (${command.executionId})`);
      }
      if (command.type === 'throw') {
        const processes = execution.definitions[0]?.getProcesses() ?? [];
        Object.assign(processes[0]?.environment.variables ?? {}, command.variables);
        // The task's own 'error' message: it fails with an error carrying the code the catching events match.
        waiting.sendApiMessage('error', { message: command.errorMessage, code: command.errorCode });
      } else if (this.thrownHere.has(waiting.id)) {
        // An error end event waiting with its incident: resolving it throws its error again (below).
        rethrow = waiting.executionId;
      } else {
        const output = this.outputOrIncident(waiting, command);
        // To the waiting activity itself: a definition-wide signal is delegated to every activity, and while it is
        // being delegated an error thrown further on is not delivered to the boundary events that catch it.
        if (output)
          waiting.signal({
            id: command.elementId,
            executionId: command.executionId,
            variables: propagate(waiting, output),
          });
      }
    }
    await settle(this.engine);
    await this.takeOverThrows(rethrow);
  }

  /**
   * Errors and escalations thrown where no boundary catches them wait at their throw or end event (`HostThrownEvent`):
   * the event sub-process that catches one runs (an interrupting one withdraws the rest, the throw with it; beside a
   * non-interrupting one the throw passes on). An error nothing catches stays there with an `UNHANDLED_ERROR_EVENT`
   * incident naming its code (Camunda 8); an escalation nothing catches passes on. Such an end event, already waiting
   * with its incident before this run, is thrown again only when its incident is being resolved (`rethrow`).
   */
  private async takeOverThrows(rethrow?: string): Promise<void> {
    const unhandled = new Set<string>();
    const due = (api: ElementApi) =>
      this.thrownHere.has(api.id) &&
      api.executionId !== undefined &&
      !unhandled.has(api.executionId) &&
      (!this.sink.known.has(api.executionId) || api.executionId === rethrow);
    for (let round = 0; round < MAX_THROWS_PER_RUN; round++) {
      const waiting = this.postponed().find(due);
      if (!waiting?.executionId) return;
      const element = this.process.elements.get(waiting.id)!;
      const thrown = thrownBy(element)!;
      const caught = nearestCatch(this.process, waiting.id, thrown);
      const scope = caught?.by === 'event' ? this.scopeAround(waiting, caught.scopeId) : undefined;
      const start =
        caught?.by === 'event' && scope && !scopeInterrupted(this.events, scope) ? caught.start : undefined;
      if (!start && thrown.kind === 'error') {
        unhandled.add(waiting.executionId);
        this.sink.incidents?.push({
          elementId: element.id,
          executionId: waiting.executionId,
          reason: `the error end event "${element.name ?? element.id}" (${element.id}) threw the error ${thrown.code ? `"${thrown.code}"` : 'without a code'}, which no boundary or event sub-process catches; resolving the incident throws it again`,
          type: 'UNHANDLED_ERROR_EVENT',
        });
        continue;
      }
      if (start && scope && !scope.running.has(start.eventSubProcess.id)) {
        await this.triggerEventSubProcess(start.id, {}, scope);
        if (start.eventSubProcess.interrupting) continue;
      }
      const still = this.postponed().find((api) => api.executionId === waiting.executionId);
      still?.signal({ id: waiting.id, executionId: waiting.executionId, variables: {} });
      await settle(this.engine);
    }
    throw new EngineRunError(`more than ${MAX_THROWS_PER_RUN} errors and escalations thrown in one step`);
  }

  private hostNow(): Date {
    return new Date(Date.now() + this.sink.skewMs);
  }

  /** The event sub-process start a command fires: its open subscription, or the error start a thrown error reaches. */
  private eventStartOf(
    command: Exclude<EngineCommand, { type: 'start' }>,
  ): { startId: string; scope?: RunningScope } | undefined {
    if (command.type === 'throw') {
      const waiting = this.postponed().find((a) => a.executionId === command.executionId);
      if (!waiting || waiting.id !== command.elementId) return undefined;
      const caught = nearestCatch(this.process, command.elementId, {
        kind: 'error',
        code: command.errorCode,
      });
      if (caught?.by !== 'event') return undefined;
      const scope = this.scopeAround(waiting, caught.scopeId);
      if (!scope || scopeInterrupted(this.events, scope)) return undefined;
      return { startId: caught.start.id, scope };
    }
    const fired = command.type === 'wake' ? (command.due ?? []) : [command.executionId];
    const scopes = this.eventScopes();
    const open = this.eventStartWaits(scopes).find((w) => fired.includes(w.executionId));
    if (!open) return undefined;
    return {
      startId: open.elementId,
      scope: scopes.find((s) => s.executionId === open.scopeExecutionId),
    };
  }

  /**
   * The scopes whose event sub-processes listen now: the process, and (when the process has event sub-processes in
   * sub-processes) every running execution of an embedded sub-process, inner ones after outer ones.
   */
  private eventScopes(): RunningScope[] {
    const top = this.execution?.getPostponed() ?? [];
    const scopes: RunningScope[] = [{ scopeId: this.process.processId, running: ids(top) }];
    if (!this.nestedEvents) return scopes;
    const seen = new Set<string>();
    const visit = (apis: readonly ElementApi[]) => {
      for (const api of apis) {
        if (api.type !== 'bpmn:SubProcess' && api.type !== 'bpmn:Transaction') continue;
        for (const execution of api.owner?.execution?.source?.executions ?? []) {
          if (seen.has(execution.executionId)) continue;
          seen.add(execution.executionId);
          const inner = execution.getPostponed();
          scopes.push({
            scopeId: api.id,
            executionId: execution.executionId,
            running: ids(inner),
            variables: scopeOf(execution.environment.variables.content),
            execution,
          });
          visit(inner);
        }
      }
    };
    visit(top);
    return scopes;
  }

  /** The scope `scopeId` (the process, or a sub-process) as the waiting activity sits in it: its execution there. */
  private scopeAround(api: ElementApi, scopeId: string): RunningScope | undefined {
    const scopes = this.eventScopes();
    if (scopeId === this.process.processId) return scopes[0];
    const parent = api.content.parent;
    const executionId = [parent, ...(parent?.path ?? [])].find((p) => p?.id === scopeId)?.executionId;
    return scopes.find((s) => s.executionId !== undefined && s.executionId === executionId);
  }

  private eventStartWaits(scopes: readonly RunningScope[] = this.eventScopes()) {
    const variables = this.processVariables();
    return openEventStarts(
      this.process,
      this.events,
      this.hostNow(),
      (element, scope) => {
        const expression = element.timer?.expression ?? '';
        return isFeel(expression)
          ? String(evaluateFeel(expression, { ...variables, ...scope.variables }))
          : expression;
      },
      scopes,
    );
  }

  /**
   * The starts of event sub-processes in sub-processes are armed when their sub-process's execution is first seen
   * running (a timer counts from then); what is kept of executions that ended goes.
   */
  private trackNestedStarts(scopes: readonly RunningScope[]): void {
    if (!this.nestedEvents) return;
    const now = this.hostNow().toISOString();
    const live = new Set<string>();
    for (const scope of scopes) {
      if (scope.executionId === undefined) continue;
      for (const start of eventSubProcessStartsIn(this.process, scope.scopeId)) {
        const key = eventStartKey(start.id, scope.executionId);
        live.add(key);
        this.events.armedAt[key] ??= now;
      }
    }
    const nested = (key: string) => key.includes('@');
    for (const record of [this.events.armedAt, this.events.fired])
      for (const key of Object.keys(record)) if (nested(key) && !live.has(key)) delete record[key];
    if (this.events.interruptedScopes) {
      const running = new Set(scopes.map((s) => s.executionId));
      this.events.interruptedScopes = this.events.interruptedScopes.filter((id) => running.has(id));
      if (this.events.interruptedScopes.length === 0) delete this.events.interruptedScopes;
    }
  }

  private processVariables(): Record<string, unknown> {
    return this.execution?.definitions[0]?.getProcesses()[0]?.environment.variables ?? {};
  }

  /**
   * Run the event sub-process of `startId` in its scope (the process, or the execution of the sub-process it sits in):
   * it starts and its start event completes with `variables` (set on the process). An interrupting one first withdraws
   * everything else its scope is doing (Camunda 8: the scope's other activities and subscriptions end; the scope
   * completes when the event sub-process does); a non-interrupting one runs beside them, and its start opens again.
   */
  private async triggerEventSubProcess(
    startId: string,
    variables: Record<string, unknown>,
    scope?: RunningScope,
  ): Promise<void> {
    const start = this.process.elements.get(startId);
    const esp = start?.eventSubProcess;
    const processes = this.execution?.definitions[0]?.getProcesses() ?? [];
    const container = (scope?.execution ?? processes[0]) as unknown as
      Pick<ScopeExecution, 'getActivityById'> | undefined;
    const activity = esp ? container?.getActivityById(esp.id) : undefined;
    if (!start || !esp || !activity) throw new EngineRunError(`nothing waits at ${startId}`);
    const key = eventStartKey(startId, scope?.executionId);
    this.events.fired[key] = (this.events.fired[key] ?? 0) + 1;
    this.events.armedAt[key] = this.hostNow().toISOString();
    const inScope = () => scope?.execution?.getPostponed() ?? this.execution?.getPostponed() ?? [];
    const others = esp.interrupting ? inScope().filter((api) => api.id !== esp.id) : [];
    if (esp.interrupting && scope?.executionId !== undefined)
      this.events.interruptedScopes = [...(this.events.interruptedScopes ?? []), scope.executionId];
    else if (esp.interrupting) this.events.interrupted = true;
    Object.assign(this.processVariables(), variables);
    // Inside a sub-process, the event sub-process sees the sub-process's local scope, as its other children do.
    activity.run(
      scope?.variables && Object.keys(scope.variables).length > 0
        ? { [SCOPE_VARIABLES]: scope.variables }
        : undefined,
    );
    await settle(this.engine);
    for (const other of others) (other as unknown as { discard(): void }).discard();
    await settle(this.engine);
    const running = inScope().find((api) => api.id === esp.id);
    const waiting = (running?.getPostponed?.() ?? []).find((api) => api.id === startId);
    if (!waiting) throw new EngineRunError(`the event sub-process ${esp.id} did not start`);
    waiting.signal({ id: startId, executionId: waiting.executionId, variables: {} });
  }

  /** The process's variables, as FEEL sees them at the top level. */
  rootVariables(): Record<string, unknown> {
    return userVariables(this.processVariables());
  }

  /** FEEL for a mapping of an element, within the host's bounds; a failure names the element. */
  evaluatorFor(elementId: string): MappingEvaluator {
    return (expression, variables) =>
      this.expressions.resolveExpression(expression, {
        environment: { variables },
        content: { id: elementId },
      });
  }

  /**
   * What a completion hands back: without output mappings, its variables as they are; with them, only what the
   * mappings make of the variables the element sees (process, local, and the completion's own).
   */
  private outputOf(
    waiting: ElementApi,
    command: Extract<EngineCommand, { type: 'complete' }>,
  ): Record<string, unknown> {
    const outputs = this.process.elements.get(command.elementId)?.ioMapping?.outputs ?? [];
    if (outputs.length === 0) return command.variables;
    const visible = {
      ...this.rootVariables(),
      ...localVariables(waiting),
      ...command.local,
      ...command.variables,
    };
    return applyMappings(outputs, visible, this.evaluatorFor(command.elementId));
  }

  /**
   * A completion's output, or none when its output mappings fail: then the completion is taken all the same and the
   * element waits with an incident (Camunda 8's IO_MAPPING_ERROR) that keeps the completion's variables, to apply
   * them again when it is resolved.
   */
  private outputOrIncident(
    waiting: ElementApi,
    command: Extract<EngineCommand, { type: 'complete' }>,
  ): Record<string, unknown> | undefined {
    try {
      return this.outputOf(waiting, command);
    } catch (err) {
      this.sink.incidents?.push({
        elementId: command.elementId,
        executionId: command.executionId,
        reason: `an output mapping of ${command.elementId} failed: ${err instanceof Error ? err.message : String(err)}; fix the variables it reads, then resolve the incident`,
        type: 'IO_MAPPING_ERROR',
        completion: command.variables,
      });
      return undefined;
    }
  }

  /** A new wait's local variables: the scopes it sits in, and what its input mappings make when it opens. */
  private localOf(api: ElementApi, isNew: boolean): Record<string, unknown> | undefined {
    const local = localVariables(api);
    const inputs = this.process.elements.get(api.id)?.ioMapping?.inputs ?? [];
    if (!isNew || inputs.length === 0 || this.isBody(api)) return local;
    const mapped = applyMappings(inputs, { ...this.rootVariables(), ...local }, this.evaluatorFor(api.id));
    return { ...local, ...mapped };
  }

  /** Every activity waiting, those inside sub-processes included. */
  postponed(): ElementApi[] {
    const result: ElementApi[] = [];
    const seen = new Set<string>();
    const visit = (apis: readonly ElementApi[]) => {
      for (const api of apis) {
        // Sequence flows waiting at a join carry no execution: they are not activities the instance waits in.
        const key = api.executionId;
        if (!key || seen.has(key)) continue;
        seen.add(key);
        result.push(api);
        if (api.type === 'bpmn:SubProcess' || api.type === 'bpmn:Transaction')
          visit(api.getPostponed?.() ?? []);
        // A multi-instance body waits in its inner instances.
        else if (this.isBody(api)) visit(api.getExecuting?.() ?? []);
      }
    };
    visit(this.execution?.getPostponed() ?? []);
    return result;
  }

  /** A multi-instance activity's body: it waits for its inner instances and is no wait of its own kind. */
  isBody(api: ElementApi): boolean {
    // Inner instances carry their index; the body's messages do not.
    return (
      this.process.elements.get(api.id)?.multiInstance !== undefined && typeof api.content.index !== 'number'
    );
  }

  async outcome(): Promise<Omit<EngineRun, 'cache' | 'stateJson'>> {
    if (this.failure) throw new EngineRunError(describeFailure(this.failure));
    const execution = this.execution as RunningExecution;
    // An ended instance never runs again: its state is not taken (nor stored).
    const state = this.finished ? null : await execution.getState();
    for (const definition of state?.definitions ?? []) delete definition.source;

    const incidents = this.sink.incidents ?? [];
    const raised = new Set(incidents.map((i) => i.executionId));
    const waits: EngineWait[] = this.finished
      ? []
      : this.postponed().map((api) => {
          const executionId = api.executionId ?? '';
          const element = this.process.elements.get(api.id);
          const timed = this.expiries.has(executionId) || element?.timer !== undefined;
          const kind = this.isBody(api)
            ? 'other'
            : element?.message
              ? 'message'
              : element?.signal
                ? 'signal'
                : element?.calledElement
                  ? 'call'
                  : raised.has(executionId)
                    ? 'incident'
                    : waitKind(api.type, element?.jobType, timed);
          const local = this.localOf(api, !this.sink.known.has(executionId));
          return {
            elementId: api.id,
            executionId,
            kind,
            expireAt: this.expiries.get(executionId),
            ...(local ? { variables: local } : {}),
          };
        });
    if (!this.finished) {
      const scopes = this.eventScopes();
      this.trackNestedStarts(scopes);
      for (const { scopeExecutionId: _scope, ...wait } of this.eventStartWaits(scopes)) waits.push(wait);
    }
    if (state) {
      (state as Record<string, unknown>).eventSubProcesses = structuredClone(this.events);
      if (this.startEventId) (state as Record<string, unknown>).startEventId = this.startEventId;
    }
    // Expiries of timers that no longer wait are of no use.
    const waiting = new Set(waits.map((w) => w.executionId));
    for (const owner of this.expiries.keys()) if (!waiting.has(owner)) this.expiries.delete(owner);

    const processes = execution.definitions[0]?.getProcesses() ?? [];
    const variables = userVariables(processes[0]?.environment.variables);
    const { steps, endStatus } = this.sink;
    const open = new Set(waits.map((w) => w.executionId));
    return {
      state,
      finished: this.finished,
      endStatus,
      variables,
      waits,
      steps,
      incidents: incidents.filter((i) => open.has(i.executionId)),
    };
  }

  /**
   * Stop a run that failed part-way: it may still have work scheduled. An engine that stands at its waits does nothing
   * by itself (its timers are held here, never armed) and holds nothing outside itself, so one that is no longer
   * needed is just let go: stopping it would walk every waiting activity through its stop, which costs more than the
   * run did (a recovered engine of ten waits: about 2 ms).
   */
  async stop(): Promise<void> {
    if (!this.finished) await stopQuietly(this.engine);
  }
}

export interface LiveEngineCacheOptions {
  /** How many live engines to keep; 0 keeps none. */
  readonly maxEntries: number;
  /** An estimate of the memory they may hold: each counts its stored state's size times a measured factor. */
  readonly maxBytes: number;
}

/** What a live engine costs beyond its stored state: measured on the release flows (heap growth per engine). */
const LIVE_ENGINE_BYTES_PER_STATE_BYTE = 40;
const LIVE_ENGINE_BASE_BYTES = 64 * 1024;
/** Past this share of the heap limit, the cache gives back half of what it holds. */
const HEAP_PRESSURE_RATIO = 0.8;
const HEAP_CHECK_EVERY = 64;

export interface LiveEngineCacheStats {
  hits: number;
  /** No live engine for the instance in this process. */
  misses: number;
  /** A live engine at an older revision: another process advanced the instance; it was dropped. */
  stale: number;
  evictions: number;
  entries: number;
  estimatedBytes: number;
}

/**
 * Running executions kept between commands, by instance id, at the revision they stand for (least recently used
 * first). A hit needs the revision read under the instance's row lock to match, so an engine is never used after
 * another process (or a rolled-back transaction) moved the instance on.
 */
class LiveEngineCache {
  private readonly entries = new Map<string, { live: LiveEngine; revision: number }>();
  private bytes = 0;
  private kept = 0;
  readonly stats: Omit<LiveEngineCacheStats, 'entries' | 'estimatedBytes'> = {
    hits: 0,
    misses: 0,
    stale: 0,
    evictions: 0,
  };

  constructor(private readonly options: LiveEngineCacheOptions) {}

  /** Take the live engine out of the cache when it stands for this revision; drop it when it is older. */
  take(instance: InstanceAtRevision): LiveEngine | undefined {
    const entry = this.entries.get(instance.id);
    if (!entry) {
      this.stats.misses += 1;
      return undefined;
    }
    this.remove(instance.id);
    if (entry.revision !== instance.revision) {
      this.stats.stale += 1;
      return undefined;
    }
    this.stats.hits += 1;
    return entry.live;
  }

  put(instanceId: string, revision: number, live: LiveEngine): void {
    if (this.options.maxEntries <= 0) return;
    if (this.entries.has(instanceId)) this.remove(instanceId);
    live.bytes = Math.max(live.bytes, 1);
    this.entries.set(instanceId, { live, revision });
    this.bytes += sizeOf(live);
    this.kept += 1;
    if (this.kept % HEAP_CHECK_EVERY === 0 && underHeapPressure()) this.evictOldest(this.entries.size / 2);
    while (this.entries.size > this.options.maxEntries || this.bytes > this.options.maxBytes) {
      if (!this.evictOldest(1)) break;
    }
  }

  /** Drop an instance's live engine (it ended or was cancelled). */
  forget(instanceId: string): void {
    this.remove(instanceId);
  }

  clear(): void {
    this.evictOldest(this.entries.size);
  }

  snapshot(): LiveEngineCacheStats {
    return { ...this.stats, entries: this.entries.size, estimatedBytes: this.bytes };
  }

  private evictOldest(count: number): boolean {
    let evicted = 0;
    for (const id of this.entries.keys()) {
      if (evicted >= count) break;
      this.remove(id);
      this.stats.evictions += 1;
      evicted += 1;
    }
    return evicted > 0;
  }

  private remove(instanceId: string): void {
    const entry = this.entries.get(instanceId);
    if (!entry) return;
    this.entries.delete(instanceId);
    this.bytes -= sizeOf(entry.live);
  }
}

function sizeOf(live: LiveEngine): number {
  return LIVE_ENGINE_BASE_BYTES + live.bytes * LIVE_ENGINE_BYTES_PER_STATE_BYTE;
}

function underHeapPressure(): boolean {
  const heap = getHeapStatistics();
  return heap.used_heap_size > heap.heap_size_limit * HEAP_PRESSURE_RATIO;
}

export const DEFAULT_LIVE_ENGINE_CACHE: LiveEngineCacheOptions = {
  maxEntries: 2000,
  maxBytes: 256 * 1024 * 1024,
};

/**
 * Runs one command against an instance and hands back the new state and what happened. The engine comes from the
 * live-engine cache when it holds the instance at its stored revision; otherwise it is rebuilt from the stored
 * state (recover and resume). Knows nothing of storage or HTTP: the caller says after its commit whether the
 * engine may be kept (`keep`) or must be dropped (`discard`).
 */
export class EngineHost {
  private readonly cache: LiveEngineCache;
  /** Engines of runs whose transaction has not ended yet. */
  private readonly pending = new WeakMap<EngineRun, { live: LiveEngine; instanceId: string }>();

  constructor(
    private readonly options: EngineHostOptions = {
      feelTimeoutMs: DEFAULT_FEEL_LIMITS.evaluationTimeoutMs,
      timers: DEFAULT_TIMER_BOUNDS,
    },
  ) {
    this.cache = new LiveEngineCache(options.cache ?? DEFAULT_LIVE_ENGINE_CACHE);
  }

  /** FEEL for one process: a timer's value is checked before the engine arms (or, at zero, repeats) it. */
  private expressionsFor(process: CompiledProcess) {
    return createFeelExpressions(this.options.feelTimeoutMs, (expression, value, context) => {
      const elementId = context.content?.id;
      const timer = typeof elementId === 'string' ? process.elements.get(elementId)?.timer : undefined;
      if (!timer || timer.expression !== expression) return undefined;
      return timerProblem(timer.kind, value, this.options.timers);
    });
  }

  /**
   * Apply `command`. `saved`: the stored state, or what reads it, called only when the engine is rebuilt from it.
   * `knownWaits`: the waits stored before it (their execution ids), which a resumed engine announces again. With
   * `instance`, the run may use and feed the live-engine cache: then call `keep` after the transaction that saved
   * the run commits, or `discard` when it does not.
   */
  async run(
    process: CompiledProcess,
    saved: StoredEngineState | null | (() => StoredEngineState | null),
    command: EngineCommand,
    knownWaits: ReadonlySet<string> = new Set(),
    now?: Date,
    instance?: InstanceAtRevision,
  ): Promise<EngineRun> {
    const sink: RunSink = {
      steps: [],
      incidents: [],
      known: knownWaits,
      skewMs: now ? now.getTime() - Date.now() : 0,
    };
    let cache: EngineRun['cache'] = 'none';
    let live: LiveEngine | undefined;
    const stored = () => (typeof saved === 'function' ? saved() : saved);
    try {
      if (command.type === 'start') {
        if (stored()) throw new EngineRunError('the instance has already started');
        live = new LiveEngine(process, this.expressionsFor(process), startContextOf(process, command));
        live.sink = sink;
        await live.start(command.variables);
      } else {
        live = instance ? this.cache.take(instance) : undefined;
        if (live && live.process !== process) live = undefined;
        if (live) {
          cache = 'hit';
          live.sink = sink;
        } else {
          const state = stored();
          if (!state) throw new EngineRunError('the instance has no stored state');
          if (instance) cache = 'miss';
          const { startEventId } = state as { startEventId?: unknown };
          live = new LiveEngine(
            process,
            this.expressionsFor(process),
            typeof startEventId === 'string' ? startEventId : undefined,
          );
          live.sink = sink;
          await live.resume(state);
        }
        await live.apply(command);
      }
      const outcome = await live.outcome();
      const stateJson = outcome.state ? JSON.stringify(outcome.state) : null;
      const run: EngineRun = { ...outcome, stateJson, cache };
      if (instance && stateJson !== null) {
        // UTF-16 code units of the stored JSON: near enough its bytes for an estimate.
        live.bytes = stateJson.length;
        this.pending.set(run, { live, instanceId: instance.id });
      }
      return run;
    } catch (err) {
      if (live) await live.stop();
      if (err instanceof EngineRunError) throw err;
      throw new EngineRunError(describeFailure(err));
    }
  }

  /** The transaction that saved `run` committed at `revision`: keep its engine for the instance's next command. */
  keep(run: EngineRun, revision: number): void {
    const entry = this.pending.get(run);
    if (!entry) return;
    this.pending.delete(run);
    this.cache.put(entry.instanceId, revision, entry.live);
  }

  /** The transaction that saved `run` did not commit: its engine is ahead of the stored state. */
  discard(run: EngineRun): void {
    this.pending.delete(run);
  }

  /** The instance ended or was cancelled elsewhere: its live engine is of no more use. */
  forget(instanceId: string): void {
    this.cache.forget(instanceId);
  }

  /** Let every live engine go (shutdown, tests). */
  clearCache(): void {
    this.cache.clear();
  }

  cacheStats(): LiveEngineCacheStats {
    return this.cache.snapshot();
  }
}

/**
 * The start event whose context a new instance runs on: the one triggered, or the plain start event when the
 * process has other start events too. Undefined for a process with one plain start event (the full context, as
 * instances stored before start events were told apart run too). A process without a plain start event is started
 * by its triggers only.
 */
function startContextOf(
  process: CompiledProcess,
  command: Extract<EngineCommand, { type: 'start' }>,
): string | undefined {
  const starts = topLevelStartEvents(process);
  if (command.startEventId !== undefined) {
    if (!starts.some((s) => s.id === command.startEventId))
      throw new EngineRunError(`${command.startEventId} is not a start event of ${process.processId}`);
    return command.startEventId;
  }
  const plain = starts.filter((s) => s.eventDefinitions.length === 0);
  if (plain.length === 0)
    throw new EngineRunError(
      `${process.processId} has no plain start event: it is started by its ${starts
        .map((s) => eventDefinitionWords(s.eventDefinitions))
        .join(', ')} start event${starts.length === 1 ? '' : 's'} only`,
    );
  return starts.length === 1 ? undefined : plain[0]!.id;
}

function eventDefinitionWords(definitions: readonly string[]): string {
  return definitions
    .map((d) =>
      d
        .replace(/^bpmn:/, '')
        .replace(/EventDefinition$/, '')
        .toLowerCase(),
    )
    .join('/');
}

function ids(apis: readonly ElementApi[]): Set<string> {
  return new Set(apis.map((api) => api.id));
}

/** The local scope a wait sees, or undefined when it sees only the process variables. */
function localVariables(api: ElementApi): Record<string, unknown> | undefined {
  const local = { ...scopeOf(api.environment?.variables?.content), ...scopeOf(api.content) };
  return Object.keys(local).length > 0 ? local : undefined;
}

/**
 * Camunda 8's propagation of what a completion hands back: a variable that exists in the local scope the activity
 * sits in (an embedded sub-process's input mappings made it) is set there, in the state the scope is stored with;
 * the others go on to the process scope. Returns those.
 */
function propagate(waiting: ElementApi, variables: Record<string, unknown>): Record<string, unknown> {
  const content = waiting.environment?.variables?.content as Record<string, unknown> | undefined;
  const scope = content?.[SCOPE_VARIABLES] as Record<string, unknown> | undefined;
  if (!scope || typeof scope !== 'object') return variables;
  const onward: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(variables)) {
    if (key in scope) scope[key] = value;
    else onward[key] = value;
  }
  return onward;
}

/** Tasks whose work is a job. */
const JOB_TASK_TYPES: ReadonlySet<string> = new Set([
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
  // Message throw and end events with a job type, and signal ones (their broadcast is a job).
  'bpmn:IntermediateThrowEvent',
  'bpmn:EndEvent',
]);

function waitKind(type: string, jobType: string | undefined, hasTimer: boolean): WaitKind {
  if (type === 'bpmn:UserTask') return 'user-task';
  if (jobType !== undefined && JOB_TASK_TYPES.has(type)) return 'service-task';
  if (hasTimer) return 'timer';
  return 'other';
}

/** Everything in the engine is synchronous but for broker hand-offs: wait until no activity is executing. */
async function settle(engine: { activityStatus: string }): Promise<void> {
  for (let tick = 0; tick < MAX_SETTLE_TICKS && engine.activityStatus === 'executing'; tick++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
}

async function stopQuietly(engine: { state: string; stop(): Promise<unknown> | undefined }): Promise<void> {
  if (engine.state !== 'running') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.resolve(engine.stop()).catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 1000);
    }),
  ]);
  if (timer) clearTimeout(timer);
}

function describeFailure(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err)
    return String((err as { message: unknown }).message);
  return String(err);
}
