import { Activity } from 'bpmn-elements';
import { InclusiveIncidentGatewayBehaviour } from './gateway-incident.js';

/**
 * An inclusive gateway that also joins. Forking: every flow whose FEEL condition is true, else the default, else an
 * incident at the gateway (gateway-incident.ts). Joining waits for every incoming flow to be either taken or known never to be taken: the engine
 * discards the flows a fork did not take, and the discard travels down the untaken path to the join. So the join
 * goes on once every token that can still arrive has arrived (Camunda 8's rule) and its state, the flows seen so
 * far, is kept with the engine state.
 */
export function JoiningInclusiveGateway(activityDef: Record<string, unknown>, context: unknown) {
  return new (Activity as unknown as new (behaviour: unknown, def: unknown, ctx: unknown) => unknown)(
    InclusiveIncidentGatewayBehaviour,
    // The engine's join (wait for each inbound flow taken or discarded) is keyed on this flag.
    { ...activityDef, isParallelGateway: true },
    context,
  );
}
