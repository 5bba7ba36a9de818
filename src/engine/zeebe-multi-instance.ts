/**
 * Multi-instance activities as Camunda 8 runs them (`zeebe:loopCharacteristics`): the FEEL `inputCollection` gives
 * one inner instance per item, each with its own local scope (`inputElement` and `loopCounter`); `outputElement` is
 * evaluated in that scope when it completes and gathered, in the items' order, into `outputCollection`; the
 * `completionCondition` is evaluated after each completion (with numberOfInstances, numberOfCompletedInstances,
 * numberOfActiveInstances and loopCounter) and, when true, the others are terminated. Parallel bodies start every
 * inner instance at once, sequential ones one after the other.
 *
 * Durable: what the body has done so far lives in its root message (`multiInstance`), which the engine state keeps;
 * on recover the body takes it up again and the waiting inner instances are redelivered on their own.
 */

/** The local scope of an inner instance, carried on its messages: FEEL sees it over the process variables. */
export const SCOPE_VARIABLES = 'scopeVariables';

/** The body's progress, saved with its root message. */
interface BodyState {
  readonly count: number;
  /** Inner instances started so far (the next index to start). */
  started: number;
  active: number;
  completed: number;
  /** The input collection as evaluated when the body started (Camunda 8 evaluates it once). */
  readonly items: unknown[];
  readonly outputs: unknown[];
}

interface ZeebeLoop {
  readonly inputCollection?: string;
  readonly inputElement?: string;
  readonly outputCollection?: string;
  readonly outputElement?: string;
}

interface Message {
  readonly fields?: { readonly redelivered?: boolean; readonly routingKey?: string };
  readonly content: Content;
  readonly properties?: Record<string, unknown>;
}

type Content = Record<string, unknown> & {
  readonly executionId: string;
  readonly id?: string;
  readonly type?: string;
  readonly parent?: Record<string, unknown>;
  readonly index?: number;
  readonly isMultiInstance?: boolean;
  readonly isRootScope?: boolean;
  readonly output?: unknown;
  readonly multiInstance?: BodyState;
  readonly [SCOPE_VARIABLES]?: Record<string, unknown>;
};

interface LoopActivity {
  readonly id: string;
  readonly environment: {
    readonly variables: Record<string, unknown>;
    resolveExpression(expression: string, message: unknown): unknown;
  };
  readonly broker: {
    publish(exchange: string, routingKey: string, content: unknown, options?: unknown): void;
    subscribeTmp(
      exchange: string,
      pattern: string,
      handler: (routingKey: string, message: Message) => void,
      options: Record<string, unknown>,
      extra?: Record<string, unknown>,
    ): void;
    cancel(consumerTag: string): void;
  };
}

interface LoopDefinition {
  readonly behaviour?: {
    readonly isSequential?: boolean;
    readonly completionCondition?: string;
    readonly extensionElements?: { readonly values?: ReadonlyArray<Record<string, unknown>> };
  };
}

/** The zeebe:loopCharacteristics of a multi-instance marker. */
export function zeebeLoopOf(definition: LoopDefinition): ZeebeLoop {
  const found = definition.behaviour?.extensionElements?.values?.find(
    (v) => v.$type === 'zeebe:LoopCharacteristics',
  );
  const text = (key: string) => (typeof found?.[key] === 'string' ? (found[key] as string) : undefined);
  return {
    inputCollection: text('inputCollection'),
    inputElement: text('inputElement'),
    outputCollection: text('outputCollection'),
    outputElement: text('outputElement'),
  };
}

/** What FEEL sees in an inner instance: its local scope (and, nested, the scopes it sits in). */
export function scopeOf(content: unknown): Record<string, unknown> {
  const scope = (content as Content | undefined)?.[SCOPE_VARIABLES];
  return scope && typeof scope === 'object' ? scope : {};
}

const EXECUTE_TAG = '_zeebe-multi-instance-execute';
const API_TAG = '_zeebe-multi-instance-api';

export function ZeebeMultiInstance(
  this: ZeebeMultiInstanceBody,
  activity: LoopActivity,
  definition: LoopDefinition,
) {
  this.activity = activity;
  this.isSequential = definition.behaviour?.isSequential === true;
  this.completionCondition = definition.behaviour?.completionCondition?.trim() || undefined;
  this.loop = zeebeLoopOf(definition);
}

interface ZeebeMultiInstanceBody {
  activity: LoopActivity;
  isSequential: boolean;
  completionCondition?: string;
  loop: ZeebeLoop;
  root?: Content;
  state?: BodyState;
  execute(message: Message): void;
}

const body = ZeebeMultiInstance.prototype as Body;

body.execute = function execute(this: Body, message: Message) {
  const { content } = message;
  this.root = stripIteration(content);
  if (message.fields?.redelivered && content.multiInstance) {
    // Recovered: the inner instances that wait are redelivered by the engine; the body listens again.
    const saved = content.multiInstance;
    this.state = { ...saved, items: [...saved.items], outputs: [...saved.outputs] };
    this.subscribe();
    return;
  }
  const collection = this.activity.environment.resolveExpression(
    this.loop.inputCollection ?? '',
    scopedMessage(content, {}),
  );
  if (!Array.isArray(collection)) {
    throw new Error(
      `${this.activity.id}: the input collection ${this.loop.inputCollection ?? '(none)'} is not a list: ${describe(collection)}`,
    );
  }
  this.state = {
    count: collection.length,
    started: 0,
    active: 0,
    completed: 0,
    items: [...collection],
    outputs: collection.map(() => null),
  };
  if (collection.length === 0) return this.finish();
  this.subscribe();
  const first = this.isSequential ? 1 : collection.length;
  const starting: Content[] = [];
  for (let i = 0; i < first; i++) starting.push(this.inner(i, collection[i]));
  this.saveProgress();
  for (const inner of starting) this.activity.broker.publish('execution', 'execute.start', inner);
};

interface Body extends ZeebeMultiInstanceBody {
  state: BodyState;
  root: Content;
  subscribe(): void;
  stop(): void;
  inner(index: number, item: unknown): Content;
  saveProgress(): void;
  onInnerEnd(routingKey: string, message: Message): void;
  finish(): void;
  conditionMet(content: Content, local: Record<string, unknown>): boolean;
}

/** An inner instance's message: its own execution id, index and local scope. */
body.inner = function inner(this: Body, index: number, item: unknown): Content {
  const state = this.state;
  state.started = Math.max(state.started, index + 1);
  state.active += 1;
  const root = this.root;
  const local: Record<string, unknown> = { ...scopeOf(root), loopCounter: index + 1 };
  if (this.loop.inputElement) local[this.loop.inputElement] = item ?? null;
  return {
    ...structuredClone(root),
    isRootScope: undefined,
    multiInstance: undefined,
    executionId: `${root.executionId}_${index}`,
    isMultiInstance: true,
    parent: withParent(root),
    index,
    [SCOPE_VARIABLES]: local,
  };
};

/** Store the body's progress on its root message: it is what a recovered engine resumes from. */
body.saveProgress = function saveProgress(this: Body) {
  this.activity.broker.publish('execution', 'execute.iteration.batch', {
    ...structuredClone(this.root),
    isMultiInstance: undefined,
    multiInstance: structuredClone(this.state),
    preventComplete: true,
    output: undefined,
  });
};

body.subscribe = function subscribe(this: Body) {
  const broker = this.activity.broker;
  broker.cancel(EXECUTE_TAG);
  broker.cancel(API_TAG);
  broker.subscribeTmp(
    'execution',
    'execute.*',
    (routingKey, message) => {
      if (!message.content.isMultiInstance || message.content.isRootScope) return;
      if (!String(message.content.executionId).startsWith(`${this.root.executionId}_`)) return;
      switch (routingKey) {
        case 'execute.completed':
        case 'execute.discard':
        case 'execute.cancel':
          this.onInnerEnd(routingKey, message);
      }
    },
    { noAck: true, consumerTag: EXECUTE_TAG, priority: 300 },
  );
  broker.subscribeTmp(
    'api',
    `activity.*.${this.root.executionId}`,
    (_routingKey, message) => {
      const type = message.properties?.type;
      if (type === 'stop' || type === 'discard') this.stop();
    },
    { noAck: true, consumerTag: API_TAG },
    { priority: 400 },
  );
};

body.stop = function stop(this: Body) {
  this.activity.broker.cancel(EXECUTE_TAG);
  this.activity.broker.cancel(API_TAG);
};

/**
 * An inner instance ended. Its variables go where Camunda 8 puts them (a local one stays local, the rest to the
 * process), its output element is gathered, and the completion condition decides whether the body ends.
 */
body.onInnerEnd = function onInnerEnd(this: Body, routingKey: string, message: Message) {
  const state = this.state;
  const { content } = message;
  const index = typeof content.index === 'number' ? content.index : -1;
  if (index < 0 || index >= state.count) return;
  state.active = Math.max(0, state.active - 1);
  const local = { ...scopeOf(content) };
  if (routingKey === 'execute.completed') {
    state.completed += 1;
    const variables = (content.output as { variables?: unknown } | undefined)?.variables;
    if (variables && typeof variables === 'object' && !Array.isArray(variables)) {
      for (const [key, value] of Object.entries(variables)) {
        if (key in local) local[key] = value;
        else this.activity.environment.variables[key] = value;
      }
    }
    if (this.loop.outputElement) {
      state.outputs[index] =
        this.activity.environment.resolveExpression(this.loop.outputElement, scopedMessage(content, local)) ??
        null;
    }
  }
  const done = state.started >= state.count && state.active === 0;
  if (done || this.conditionMet(content, local)) return this.finish();
  if (this.isSequential && state.active === 0 && state.started < state.count) {
    const next = this.inner(state.started, state.items[state.started]);
    this.saveProgress();
    this.activity.broker.publish('execution', 'execute.start', next);
    return;
  }
  this.saveProgress();
};

body.conditionMet = function conditionMet(
  this: Body,
  content: Content,
  local: Record<string, unknown>,
): boolean {
  if (!this.completionCondition) return false;
  const state = this.state;
  const variables: Record<string, unknown> = {
    ...local,
    numberOfInstances: state.count,
    numberOfCompletedInstances: state.completed,
    numberOfActiveInstances: state.active,
    numberOfTerminatedInstances: state.started - state.completed - state.active,
  };
  if (this.loop.outputCollection) variables[this.loop.outputCollection] = [...state.outputs];
  return (
    this.activity.environment.resolveExpression(
      this.completionCondition,
      scopedMessage(content, variables),
    ) === true
  );
};

/** The body ends: the inner instances still running are terminated by the engine; the outputs are its output. */
body.finish = function finish(this: Body) {
  this.stop();
  const variables: Record<string, unknown> = {};
  if (this.loop.outputCollection) variables[this.loop.outputCollection] = [...this.state.outputs];
  this.activity.broker.publish('execution', 'execute.completed', {
    ...structuredClone(this.root),
    multiInstance: undefined,
    preventComplete: undefined,
    output: { variables },
  });
};

function stripIteration(content: Content): Content {
  const { multiInstance: _state, output: _output, preventComplete: _prevent, ...rest } = content;
  return rest as Content;
}

function withParent(root: Content): Record<string, unknown> {
  const { id, type, executionId } = root;
  const parent = root.parent ? structuredClone(root.parent) : undefined;
  if (!parent) return { id, type, executionId };
  const path = Array.isArray(parent.path) ? (parent.path as unknown[]) : [];
  return {
    ...parent,
    id,
    type,
    executionId,
    path: [{ id: parent.id, type: parent.type, executionId: parent.executionId }, ...path],
  };
}

/** A message for the expression hook: the element's content with `extra` over its local scope. */
function scopedMessage(content: Content, extra: Record<string, unknown>): Message {
  return { content: { ...content, [SCOPE_VARIABLES]: { ...scopeOf(content), ...extra } } };
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'it has no value';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
