import * as Elements from 'bpmn-elements';
import * as Tasks from 'bpmn-elements/tasks';
import { SCOPE_VARIABLES, scopeOf } from './zeebe-multi-instance.js';
import { applyMappings } from './variable-mappings.js';
import { userVariables } from './feel.js';
import type { VariableMapping } from './process-model-types.js';

/**
 * Embedded sub-processes with a local scope, as Camunda 8 runs them (`zeebe:ioMapping`): when one starts, its input
 * mappings make local variables, carried on the message that starts its execution (as a multi-instance inner
 * instance's are) and with it in the stored state; every element inside sees them over the process variables, and
 * a variable a completion inside sets that exists in that scope is set there (Camunda's propagation). When it ends,
 * only what its output mappings make of the process and local variables goes on to the process; without output
 * mappings its local variables end with it.
 */

interface Message {
  readonly fields?: { readonly redelivered?: boolean };
  readonly content: Record<string, unknown> & {
    readonly id?: string;
    readonly isRootScope?: boolean;
    output?: unknown;
    [SCOPE_VARIABLES]?: Record<string, unknown>;
  };
}

interface SubProcessActivity {
  readonly id: string;
  readonly behaviour?: {
    readonly extensionElements?: { readonly values?: ReadonlyArray<Record<string, unknown>> };
  };
  readonly environment: {
    readonly variables: Record<string, unknown>;
    resolveExpression(expression: string, message: unknown): unknown;
  };
}

interface Behaviour {
  readonly activity: SubProcessActivity;
  readonly loopCharacteristics?: unknown;
  execute(message: Message): unknown;
  _getExecutionById(executionId: string): { environment: { variables: { content?: unknown } } } | undefined;
  _completeExecution(routingKey: string, content: Message['content']): unknown;
}

/** The zeebe:ioMapping of an element definition as bpmn-elements hands it over. */
export function ioMappingOfDefinition(activity: Pick<SubProcessActivity, 'behaviour'>): {
  inputs: VariableMapping[];
  outputs: VariableMapping[];
} {
  const mapping = activity.behaviour?.extensionElements?.values?.find((v) => v.$type === 'zeebe:IoMapping');
  const read = (list: unknown): VariableMapping[] =>
    ((list as Array<Record<string, unknown>> | undefined) ?? [])
      .filter((m) => typeof m.target === 'string' && m.target.trim())
      .map((m) => ({
        source: typeof m.source === 'string' ? m.source : '',
        target: String(m.target).trim(),
      }));
  return { inputs: read(mapping?.inputParameters), outputs: read(mapping?.outputParameters) };
}

function evaluatorOf(activity: SubProcessActivity, content: Message['content']) {
  return (expression: string, variables: Record<string, unknown>) =>
    activity.environment.resolveExpression(expression, {
      environment: { variables: {} },
      content: { id: content.id ?? activity.id, [SCOPE_VARIABLES]: variables },
    });
}

/** The scopes the sub-process sits in (an enclosing sub-process's or inner instance's). */
function outerScope(activity: SubProcessActivity): Record<string, unknown> {
  return scopeOf((activity.environment.variables as { content?: unknown }).content);
}

/** What the sub-process's execution sees: the process variables and the scopes it sits in. */
function visibleTo(activity: SubProcessActivity, content: Message['content']): Record<string, unknown> {
  const { variables } = activity.environment;
  return { ...userVariables(variables), ...scopeOf(variables.content), ...scopeOf(content) };
}

/** bpmn-elements' own behaviour of a sub-process, which the scoped one extends. */
const { SubProcessBehaviour } = Tasks as unknown as {
  SubProcessBehaviour: ((this: Behaviour, activity: unknown, context: unknown) => void) & {
    prototype: Behaviour;
  };
};

function ScopedSubProcessBehaviour(this: Behaviour, activity: SubProcessActivity, context: unknown) {
  SubProcessBehaviour.call(this, activity, context);
}
ScopedSubProcessBehaviour.prototype = Object.create(SubProcessBehaviour.prototype) as Behaviour;

ScopedSubProcessBehaviour.prototype.execute = function execute(this: Behaviour, message: Message) {
  const { content } = message;
  // The body of a multi-instance sub-process starts its inner instances: each of them opens the scope.
  const isBody = this.loopCharacteristics !== undefined && content.isRootScope === true;
  const mutable = content as Record<string, unknown>;
  if (!isBody && message.fields?.redelivered) {
    // Resumed: the execution's environment, recovered from the stored state, holds the scope; the message that
    // starts it again replaces what that environment holds of its start, so it carries the scope on.
    const stored = this._getExecutionById(String(content.executionId))?.environment.variables.content;
    if (stored && typeof stored === 'object' && SCOPE_VARIABLES in stored)
      mutable[SCOPE_VARIABLES] = scopeOf(stored);
  } else if (!isBody) {
    const { inputs } = ioMappingOfDefinition(this.activity);
    const visible = visibleTo(this.activity, content);
    const mapped = applyMappings(inputs, visible, evaluatorOf(this.activity, content));
    // The outer scopes stay visible inside: the execution's environment holds this message alone.
    mutable[SCOPE_VARIABLES] = { ...outerScope(this.activity), ...scopeOf(content), ...mapped };
  }
  return SubProcessBehaviour.prototype.execute.call(this, message);
};

ScopedSubProcessBehaviour.prototype._completeExecution = function completeExecution(
  this: Behaviour,
  routingKey: string,
  content: Message['content'],
) {
  const { outputs } = ioMappingOfDefinition(this.activity);
  if (routingKey === 'execute.completed' && outputs.length > 0) {
    const scope = this._getExecutionById(String(content.executionId))?.environment.variables.content;
    const visible = { ...visibleTo(this.activity, content), ...scopeOf(scope) };
    const mapped = applyMappings(outputs, visible, evaluatorOf(this.activity, content));
    const output = content.output && typeof content.output === 'object' ? content.output : {};
    (content as Record<string, unknown>).output = { ...output, variables: mapped };
  }
  return SubProcessBehaviour.prototype._completeExecution.call(this, routingKey, content);
};

type ElementFactory = (activityDef: unknown, context: unknown) => { Behaviour: unknown };

/**
 * bpmn-elements' SubProcess, its behaviour the scoped one above when it has input or output mappings (the engine
 * makes an activity's behaviour when it executes, from `Behaviour`). Called with `new` by the engine.
 */
export function ScopedSubProcess(activityDef: unknown, context: unknown): unknown {
  const subProcess = (Elements.SubProcess as unknown as ElementFactory)(activityDef, context);
  const { inputs, outputs } = ioMappingOfDefinition(activityDef as SubProcessActivity);
  if (inputs.length > 0 || outputs.length > 0) subProcess.Behaviour = ScopedSubProcessBehaviour;
  return subProcess;
}
