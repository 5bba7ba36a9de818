import { Activity } from 'bpmn-elements';

/** What an activity gives a gateway behaviour: its broker and the evaluation of its outgoing flows. */
interface GatewayActivity {
  readonly broker: Broker;
  evaluateOutbound(
    fromMessage: ExecuteMessage,
    discardRestAtTake: boolean,
    callback: (err: Error | null, outbound?: readonly unknown[]) => void,
  ): void;
}

interface Broker {
  publish(exchange: string, routingKey: string, content: unknown, properties?: unknown): void;
  subscribeTmp(
    exchange: string,
    pattern: string,
    onMessage: (routingKey: string, message: ApiMessage) => void,
    options: { noAck: boolean; consumerTag: string },
  ): void;
  cancel(consumerTag: string): void;
}

interface ExecuteMessage {
  readonly content: Record<string, unknown> & { executionId: string; isRecovered?: boolean };
}

interface ApiMessage {
  readonly properties: { type?: string; correlationId?: string };
}

/** The `activity.wait` of a gateway that found no way on carries the reason under this name. */
export const GATEWAY_INCIDENT = 'gatewayIncident';

interface IncidentGateway {
  readonly activity: GatewayActivity;
  readonly broker: Broker;
  readonly takeOne: boolean;
}

/**
 * Camunda 8's exclusive and inclusive gateways: the outgoing flows are evaluated as the gateway is passed; when no
 * condition is true and there is no default flow (or a condition cannot be evaluated), the gateway does not fail
 * the instance: it waits there with the reason (an incident, `activity.wait` with `gatewayIncident`). A signal to
 * the waiting gateway (the incident resolved, after its variables were fixed) evaluates the flows again: it goes
 * on, or waits with a new reason. A gateway recovered from a stored state waits again without evaluating: only a
 * resolution evaluates it again, as in Camunda 8.
 */
function IncidentGatewayBehaviour(this: IncidentGateway, activity: GatewayActivity, takeOne: boolean) {
  Object.assign(this, { activity, broker: activity.broker, takeOne });
}

IncidentGatewayBehaviour.prototype.execute = function execute(
  this: IncidentGateway,
  executeMessage: ExecuteMessage,
) {
  if (executeMessage.content.isRecovered) return waitForResolution(this, executeMessage, undefined);
  return evaluate(this, executeMessage);
};

function evaluate(gateway: IncidentGateway, executeMessage: ExecuteMessage): void {
  gateway.activity.evaluateOutbound(executeMessage, gateway.takeOne, (err, outbound) => {
    if (err) return waitForResolution(gateway, executeMessage, incidentReason(err));
    // The flows as evaluated here: the engine takes and discards them without evaluating again.
    gateway.broker.publish('execution', 'execute.completed', { ...executeMessage.content, outbound });
  });
}

function waitForResolution(
  gateway: IncidentGateway,
  executeMessage: ExecuteMessage,
  reason: string | undefined,
): void {
  const { broker } = gateway;
  const { executionId } = executeMessage.content;
  const tag = `_gateway-incident-${executionId}`;
  broker.cancel(tag);
  broker.subscribeTmp(
    'api',
    `activity.#.${executionId}`,
    (_routingKey, message) => {
      const type = message.properties.type;
      if (type === 'signal') {
        broker.cancel(tag);
        return evaluate(gateway, executeMessage);
      }
      if (type === 'stop') return broker.cancel(tag);
      if (type === 'discard') {
        broker.cancel(tag);
        broker.publish('execution', 'execute.discard', { ...executeMessage.content });
      }
    },
    { noAck: true, consumerTag: tag },
  );
  broker.publish('event', 'activity.wait', {
    ...executeMessage.content,
    state: 'wait',
    ...(reason !== undefined ? { [GATEWAY_INCIDENT]: reason } : {}),
  });
}

function incidentReason(err: Error): string {
  const cause = (err as Error & { source?: unknown; inner?: unknown }).inner;
  const inner = cause instanceof Error ? cause.message : undefined;
  const message = inner ?? err.message;
  // The engine's own wording: "<gateway> no conditional flow taken".
  if (/no conditional flow taken/.test(message))
    return 'no outgoing sequence flow has a condition that is true, and there is no default flow: fix the variables the conditions read, then resolve the incident';
  return `a condition of an outgoing sequence flow cannot be evaluated: ${message}`;
}

type ActivityClass = new (behaviour: unknown, def: unknown, ctx: unknown) => unknown;

/** The exclusive gateway's behaviour: the first flow whose condition is true, else the default, else an incident. */
export function ExclusiveIncidentGatewayBehaviour(this: IncidentGateway, activity: GatewayActivity) {
  IncidentGatewayBehaviour.call(this, activity, true);
}
ExclusiveIncidentGatewayBehaviour.prototype = IncidentGatewayBehaviour.prototype;

/** The inclusive gateway's behaviour: every flow whose condition is true, else the default, else an incident. */
export function InclusiveIncidentGatewayBehaviour(this: IncidentGateway, activity: GatewayActivity) {
  IncidentGatewayBehaviour.call(this, activity, false);
}
InclusiveIncidentGatewayBehaviour.prototype = IncidentGatewayBehaviour.prototype;

/** An exclusive gateway that raises an incident where the engine's own would fail the run. */
export function IncidentExclusiveGateway(activityDef: Record<string, unknown>, context: unknown) {
  return new (Activity as unknown as ActivityClass)(ExclusiveIncidentGatewayBehaviour, activityDef, context);
}
