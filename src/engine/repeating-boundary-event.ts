import * as Elements from 'bpmn-elements';
import * as Events from 'bpmn-elements/events';

interface BoundaryBehaviour {
  readonly activity: { readonly eventDefinitions?: ReadonlyArray<{ readonly type?: string }> };
  readonly cancelActivity: boolean;
  _onCompleted(routingKey: string, message: { content: Record<string, unknown> }): unknown;
  _onRepeatMessage(routingKey: string, message: { content: Record<string, unknown> }): unknown;
}

type BehaviourClass = new (activity: unknown, context: unknown) => BoundaryBehaviour;

const { BoundaryEventBehaviour } = Events as unknown as { BoundaryEventBehaviour: BehaviourClass };
const Activity = Elements.Activity as unknown as new (
  behaviour: unknown,
  def: unknown,
  ctx: unknown,
) => unknown;

/** The triggers whose non-interrupting boundary event stays open while its activity runs (Camunda 8). */
const KEPT_OPEN: ReadonlySet<string> = new Set(['bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition']);

/**
 * A boundary event as bpmn-elements runs it, but a non-interrupting message or signal one opens again each time it
 * fires, as long as its activity is active (Camunda 8 keeps the subscription open): it re-arms the way a timer cycle
 * does in bpmn-elements (a restart queued before the firing completes), each firing a new wait of its own. The
 * restart goes with the activity when the activity ends.
 */
class RepeatingBoundaryEventBehaviour extends BoundaryEventBehaviour {
  override _onCompleted(routingKey: string, message: { content: Record<string, unknown> }): unknown {
    const { content } = message;
    const nonInterrupting =
      content.cancelActivity === false || (!this.cancelActivity && !content.cancelActivity);
    const definitions = this.activity.eventDefinitions ?? [];
    if (nonInterrupting && definitions.length === 1 && KEPT_OPEN.has(definitions[0]?.type ?? ''))
      this._onRepeatMessage('execute.repeat', { content: {} });
    return super._onCompleted(routingKey, message);
  }
}

export function RepeatingBoundaryEvent(activityDef: unknown, context: unknown): unknown {
  return new Activity(RepeatingBoundaryEventBehaviour, activityDef, context);
}
