import { Activity } from 'bpmn-elements';

/** What a script task carries in its zeebe extension: a FEEL expression and where its value goes. */
interface ZeebeScript {
  readonly expression: string;
  readonly resultVariable: string;
}

interface ScriptActivity {
  readonly id: string;
  readonly behaviour: {
    readonly extensionElements?: { readonly values?: ReadonlyArray<Record<string, unknown>> };
    readonly loopCharacteristics?: {
      Behaviour: new (activity: unknown, definition: unknown) => LoopBehaviour;
    };
  };
  readonly environment: { resolveExpression(expression: string, message: unknown): unknown };
  readonly broker: {
    publish(exchange: string, routingKey: string, content: unknown, options?: unknown): void;
  };
}

interface LoopBehaviour {
  execute(message: unknown): unknown;
}

interface ExecuteMessage {
  readonly content: Record<string, unknown> & { readonly isRootScope?: boolean };
}

/** The zeebe:script of a script task, when it has a FEEL expression and a result variable. */
export function zeebeScriptOf(behaviour: ScriptActivity['behaviour']): ZeebeScript | undefined {
  const script = behaviour.extensionElements?.values?.find((v) => v.$type === 'zeebe:Script');
  const expression = script?.expression;
  const resultVariable = script?.resultVariable;
  if (typeof expression !== 'string' || typeof resultVariable !== 'string') return undefined;
  return { expression, resultVariable };
}

/**
 * A script task as Camunda 8 runs it: its zeebe:script FEEL expression is evaluated (under the FEEL bounds of the
 * host's expression hook) and the value lands in `resultVariable`. No other script language runs: deployed
 * definitions carry no code, and the validator refuses them before they get here.
 */
function FeelScriptBehaviour(
  this: { activity: ScriptActivity; loop?: LoopBehaviour },
  activity: ScriptActivity,
) {
  this.activity = activity;
  const loop = activity.behaviour.loopCharacteristics;
  if (loop) this.loop = new loop.Behaviour(activity, loop);
}

FeelScriptBehaviour.prototype.execute = function execute(
  this: { activity: ScriptActivity; loop?: LoopBehaviour },
  executeMessage: ExecuteMessage,
) {
  const content = executeMessage.content;
  if (this.loop && content.isRootScope) return this.loop.execute(executeMessage);
  const { activity } = this;
  const script = zeebeScriptOf(activity.behaviour);
  try {
    if (!script) throw new Error(`${activity.id}: a script task needs a zeebe:script FEEL expression`);
    const value = activity.environment.resolveExpression(script.expression, executeMessage);
    activity.broker.publish('execution', 'execute.completed', {
      ...content,
      output: { variables: { [script.resultVariable]: value ?? null } },
    });
  } catch (err) {
    activity.broker.publish(
      'execution',
      'execute.error',
      { ...content, error: err instanceof Error ? err : new Error(String(err)) },
      { mandatory: true },
    );
  }
};

export function FeelScriptTask(activityDef: unknown, context: unknown) {
  return new (Activity as unknown as new (behaviour: unknown, def: unknown, ctx: unknown) => unknown)(
    FeelScriptBehaviour,
    activityDef,
    context,
  );
}
