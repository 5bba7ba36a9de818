import * as Elements from 'bpmn-elements';
import * as Tasks from 'bpmn-elements/tasks';

/** The built-in job type that broadcasts a signal throw or end event's signal (header `signalName`). */
export const SIGNAL_BROADCAST_JOB_TYPE = 'signal.broadcast';

interface EventDefinitionDef {
  readonly type?: string;
}

interface ThrowEventDef {
  readonly behaviour?: {
    readonly eventDefinitions?: readonly EventDefinitionDef[];
    readonly extensionElements?: { readonly values?: ReadonlyArray<Record<string, unknown>> };
  };
}

const { SignalTaskBehaviour } = Tasks as unknown as { SignalTaskBehaviour: unknown };

type ElementFactory = (activityDef: unknown, context: unknown) => unknown;

/**
 * Whether a throw or end event is worked as a job (Camunda 8): a message one that names a job type
 * (`zeebe:taskDefinition`), worked like a service task, and a signal one, whose built-in job broadcasts the signal
 * after the state that reached it is saved (through the outbox, so a crash loses no broadcast).
 */
export function isThrowJobEvent(activityDef: ThrowEventDef): boolean {
  const definitions = activityDef.behaviour?.eventDefinitions ?? [];
  if (definitions.length !== 1) return false;
  const type = definitions[0]?.type;
  if (type === 'bpmn:SignalEventDefinition') return true;
  if (type !== 'bpmn:MessageEventDefinition') return false;
  return (activityDef.behaviour?.extensionElements?.values ?? []).some(
    (v) => v.$type === 'zeebe:TaskDefinition',
  );
}

const Activity = Elements.Activity as unknown as new (
  behaviour: unknown,
  def: unknown,
  ctx: unknown,
) => unknown;

/** A throw or end event that waits for its job (completed by the job's report); any other runs as bpmn-elements runs it. */
function throwJobEvent(fallback: ElementFactory): ElementFactory {
  // Called with `new` by the engine: a function (not an arrow) whose returned activity is the instance.
  return function ThrowJobEvent(activityDef: unknown, context: unknown) {
    return isThrowJobEvent(activityDef as ThrowEventDef)
      ? new Activity(SignalTaskBehaviour, { ...(activityDef as object), isThrowing: true }, context)
      : fallback(activityDef, context);
  };
}

export const IntermediateThrowJobEvent = throwJobEvent(
  Elements.IntermediateThrowEvent as unknown as ElementFactory,
);
export const EndJobEvent = throwJobEvent(Elements.EndEvent as unknown as ElementFactory);
