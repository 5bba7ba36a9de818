import { EventEmitter } from 'node:events';
import { Engine } from 'bpmn-engine';
import { Timers } from 'bpmn-elements';
import { createFeelExpressions, DEFAULT_FEEL_LIMITS, userVariables } from './feel.js';
import { engineElements, type CompiledProcess } from './process-model.js';
import { DEFAULT_TIMER_BOUNDS, timerProblem, type TimerBounds } from './timer-bounds.js';

/** One thing that happens to an instance: it starts, a waiting task is completed, or it is woken (timers). */
export type EngineCommand =
  | { readonly type: 'start'; readonly variables: Record<string, unknown> }
  | {
      readonly type: 'complete';
      readonly elementId: string;
      readonly executionId: string;
      readonly variables: Record<string, unknown>;
    }
  /** Wake the instance; the timers waiting in `due` (execution ids) have expired by the host's clock. */
  | { readonly type: 'wake'; readonly due?: readonly string[] };

export type WaitKind = 'user-task' | 'service-task' | 'timer' | 'other';

/** An activity the instance is waiting in after a run. */
export interface EngineWait {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: WaitKind;
  /** When a timer started in this run expires, on the clock of the run's `now`. */
  readonly expireAt?: Date;
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
  /** The engine state to store: without the definition source, which is stored once per version. */
  readonly state: StoredEngineState;
  readonly finished: boolean;
  /** The releaseStatus property of the last end event reached that carries one. */
  readonly endStatus?: string;
  readonly variables: Record<string, unknown>;
  readonly waits: readonly EngineWait[];
  readonly steps: readonly EngineStep[];
}

export type StoredEngineState = { definitions: Array<Record<string, unknown>> } & Record<string, unknown>;

/** The command cannot be applied (nothing waits there, or the process failed on it): nothing is to be saved. */
export class EngineRunError extends Error {}

interface ElementApi {
  id: string;
  type: string;
  executionId?: string;
  content: Record<string, unknown> & {
    parent?: { executionId?: string };
    expireAt?: unknown;
    output?: unknown;
  };
}

interface RunningExecution {
  getPostponed(): ElementApi[];
  getState(): Promise<StoredEngineState> | StoredEngineState;
  signal(payload: Record<string, unknown>): void;
  definitions: Array<{ getProcesses(): Array<{ environment: { variables: Record<string, unknown> } }> }>;
}

const MAX_SETTLE_TICKS = 10_000;

/**
 * Task outputs land in the process scope (Camunda 8 semantics): a completion carries `variables`, merged
 * into the process variables when the activity ends, so the gateways after it route on them.
 */
const taskOutputExtension = {
  mergeOutput(activity: {
    id: string;
    environment: { variables: Record<string, unknown> };
    on(event: string, handler: (api: ElementApi) => void, options: { consumerTag: string }): void;
    broker: { cancel(tag: string): void };
  }) {
    return {
      activate() {
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
      },
      deactivate() {
        activity.broker.cancel('_release-flow-output');
      },
    };
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

export interface EngineHostOptions {
  /** Time one FEEL evaluation may take: past it, the step fails (an incident), the process goes on. */
  readonly feelTimeoutMs: number;
  /** Bounds a timer value made by FEEL must meet, as written ones must at deploy. */
  readonly timers: TimerBounds;
}

/**
 * Runs one command against an instance: rebuilds the engine from the stored state, applies the command,
 * runs to the next wait and hands back the new state and what happened. Knows nothing of storage or HTTP.
 */
export class EngineHost {
  constructor(
    private readonly options: EngineHostOptions = {
      feelTimeoutMs: DEFAULT_FEEL_LIMITS.evaluationTimeoutMs,
      timers: DEFAULT_TIMER_BOUNDS,
    },
  ) {}

  /** FEEL for one process: a timer's value is checked before the engine arms (or, at zero, repeats) it. */
  private expressionsFor(process: CompiledProcess) {
    return createFeelExpressions(this.options.feelTimeoutMs, (expression, value, context) => {
      const elementId = context.content?.id;
      const timer = typeof elementId === 'string' ? process.elements.get(elementId)?.timer : undefined;
      if (!timer || timer.expression !== expression) return undefined;
      return timerProblem(timer.kind, value, this.options.timers);
    });
  }

  async run(
    process: CompiledProcess,
    saved: StoredEngineState | null,
    command: EngineCommand,
    knownWaits: ReadonlySet<string> = new Set(),
    now?: Date,
  ): Promise<EngineRun> {
    const steps: EngineStep[] = [];
    const expiries = new Map<string, Date>();
    // The engine reads the system time: the expiries it computes are moved onto the host's clock.
    const skewMs = now ? now.getTime() - Date.now() : 0;
    const heldByDefinition = new Map<string, () => void>();
    const ownerOfDefinition = new Map<string, string>();
    let endStatus: string | undefined;
    let finished = false;
    let failure: unknown;

    const listener = new EventEmitter();
    const record = (type: EngineStepType) => (api: ElementApi) => {
      steps.push({ type, elementId: api.id, executionId: api.executionId, at: new Date() });
    };
    listener.on('activity.start', record('activity.start'));
    listener.on('flow.take', record('flow.take'));
    listener.on('activity.wait', (api: ElementApi) => {
      // A resumed engine announces its open waits again: they are not new.
      if (!knownWaits.has(api.executionId ?? '')) record('activity.wait')(api);
    });
    listener.on('activity.timer', (api: ElementApi) => {
      const owner = api.content.parent?.executionId ?? api.executionId ?? '';
      if (api.executionId) ownerOfDefinition.set(api.executionId, owner);
      const expireAt = api.content.expireAt ? new Date(api.content.expireAt as string) : undefined;
      if (expireAt && !Number.isNaN(expireAt.getTime()))
        expiries.set(owner, new Date(expireAt.getTime() + skewMs));
      if (!knownWaits.has(owner))
        steps.push({ type: 'activity.timer', elementId: api.id, executionId: owner, at: new Date() });
    });
    listener.on('activity.end', (api: ElementApi) => {
      record('activity.end')(api);
      const status = process.elements.get(api.id)?.properties.releaseStatus;
      if (api.type === 'bpmn:EndEvent' && status) endStatus = status;
    });

    const engine = new Engine({
      name: process.processId,
      sourceContext: process.sourceContext,
      elements: engineElements,
      expressions: this.expressionsFor(process),
      scripts: noScripts,
      timers: heldTimers(heldByDefinition),
      extensions: taskOutputExtension,
    } as never);
    engine.once('end', () => {
      finished = true;
    });
    engine.on('error', (err: unknown) => {
      failure = err;
    });

    let execution: RunningExecution;
    try {
      if (command.type === 'start') {
        if (saved) throw new EngineRunError('the instance has already started');
        execution = (await engine.execute({ listener, variables: command.variables } as never)) as never;
      } else {
        if (!saved) throw new EngineRunError('the instance has no stored state');
        engine.recover(structuredClone(saved) as never);
        execution = (await engine.resume({ listener } as never)) as never;
        await settle(engine);
        if (command.type === 'wake') {
          const due = new Set(command.due ?? []);
          for (const [definition, complete] of heldByDefinition) {
            if (due.has(ownerOfDefinition.get(definition) ?? '')) complete();
          }
        }
        if (command.type === 'complete') {
          const waiting = execution.getPostponed().find((a) => a.executionId === command.executionId);
          if (!waiting || waiting.id !== command.elementId) {
            throw new EngineRunError(`nothing waits at ${command.elementId} (${command.executionId})`);
          }
          execution.signal({
            id: command.elementId,
            executionId: command.executionId,
            variables: command.variables,
          });
        }
      }
      await settle(engine);
      if (failure) throw new EngineRunError(describeFailure(failure));

      const state = await execution.getState();
      for (const definition of state.definitions) delete definition.source;

      const waits: EngineWait[] = finished
        ? []
        : execution.getPostponed().map((api) => {
            const executionId = api.executionId ?? '';
            const kind = waitKind(api.type, process.elements.get(api.id)?.jobType, expiries.has(executionId));
            return { elementId: api.id, executionId, kind, expireAt: expiries.get(executionId) };
          });

      const processes = execution.definitions[0]?.getProcesses() ?? [];
      const variables = userVariables(processes[0]?.environment.variables);

      return { state, finished, endStatus, variables, waits, steps };
    } catch (err) {
      if (err instanceof EngineRunError) throw err;
      throw new EngineRunError(describeFailure(err));
    } finally {
      if (!finished) await stopQuietly(engine);
    }
  }
}

function waitKind(type: string, jobType: string | undefined, hasTimer: boolean): WaitKind {
  if (type === 'bpmn:UserTask') return 'user-task';
  if (jobType !== undefined && (type === 'bpmn:ServiceTask' || type === 'bpmn:SendTask'))
    return 'service-task';
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
