import * as Elements from 'bpmn-elements';
import * as Tasks from 'bpmn-elements/tasks';

const { SignalTaskBehaviour } = Tasks as unknown as { SignalTaskBehaviour: unknown };
const Activity = Elements.Activity as unknown as new (
  behaviour: unknown,
  def: unknown,
  ctx: unknown,
) => unknown;

type ElementFactory = (activityDef: unknown, context: unknown) => unknown;

/**
 * The start event of an event sub-process waits for the host, whatever its trigger: the host holds its
 * subscription (message, signal, timer) beside the instance's state and, when it fires, runs the sub-process and
 * completes this start event. Other start events run as bpmn-elements runs them.
 */
export function EventSubProcessStartEvent(startIds: ReadonlySet<string>): ElementFactory {
  const fallback = Elements.StartEvent as unknown as ElementFactory;
  // Called with `new` by the engine: a function (not an arrow) whose returned activity is the instance.
  return function StartEvent(activityDef: unknown, context: unknown) {
    const def = activityDef as { id: string; behaviour?: Record<string, unknown> };
    if (!startIds.has(def.id)) return fallback(activityDef, context);
    // Its event definitions are the host's business: the engine must not arm a timer or listen for messages here.
    return new Activity(
      SignalTaskBehaviour,
      { ...def, behaviour: { ...def.behaviour, eventDefinitions: undefined } },
      context,
    );
  };
}

/**
 * An error or escalation throw or end event whose throw the host takes over (`hostThrownEvents`): it waits, without
 * its event definitions, and the host runs the event sub-process that catches it (or, for an error nothing catches,
 * leaves it waiting with an incident). Any other runs as `fallback` runs it.
 */
export function HostThrownEvent(ids: ReadonlySet<string>, fallback: unknown): ElementFactory {
  const other = fallback as ElementFactory;
  return function ThrownEvent(activityDef: unknown, context: unknown) {
    const def = activityDef as { id: string; behaviour?: Record<string, unknown> };
    if (!ids.has(def.id)) return other(activityDef, context);
    return new Activity(
      SignalTaskBehaviour,
      { ...def, behaviour: { ...def.behaviour, eventDefinitions: undefined } },
      context,
    );
  };
}
