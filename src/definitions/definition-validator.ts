import { checkFeel, isFeel } from '../engine/feel.js';
import type { ProcessModel } from '../engine/process-model.js';
import type { FieldError } from '../common/errors.js';

/** Element types the engine host runs; anything else in a process is refused at deploy. */
export const SUPPORTED_ELEMENT_TYPES: ReadonlySet<string> = new Set([
  'bpmn:StartEvent',
  'bpmn:EndEvent',
  'bpmn:UserTask',
  'bpmn:ServiceTask',
  'bpmn:ExclusiveGateway',
  'bpmn:ParallelGateway',
  'bpmn:InclusiveGateway',
  'bpmn:BoundaryEvent',
  'bpmn:IntermediateCatchEvent',
  'bpmn:SequenceFlow',
]);

/**
 * The rules a definition must meet before it is stored. Errors name the element; warnings do not block.
 * `hasHandler` tells which job types the workers can carry out.
 */
export function validateProcess(
  model: ProcessModel,
  hasHandler: (jobType: string) => boolean,
  hasForm: (formKey: string) => boolean = () => true,
): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });

  for (const type of model.elementTypes) {
    if (type === 'bpmn:ScriptTask' || type === 'bpmn:Script') {
      fail(type, 'script tasks are not allowed: deployed processes must not run code');
    }
  }

  const outgoing = new Map<string, string[]>();
  const incoming = new Map<string, number>();
  for (const element of model.elements.values()) {
    if (element.type === 'bpmn:SequenceFlow' && element.sourceRef) {
      outgoing.set(element.sourceRef, [...(outgoing.get(element.sourceRef) ?? []), element.id]);
    }
    if (element.type === 'bpmn:SequenceFlow' && element.targetRef) {
      incoming.set(element.targetRef, (incoming.get(element.targetRef) ?? 0) + 1);
    }
  }

  /** Every path out of a deciding gateway needs a condition, unless it is the default. */
  const checkGatewayFlows = (gatewayId: string, defaultFlow: string | undefined) => {
    const flows = outgoing.get(gatewayId) ?? [];
    if (flows.length < 2) return;
    for (const flowId of flows) {
      if (flowId !== defaultFlow && model.elements.get(flowId)?.condition === undefined) {
        fail(flowId, `flow out of gateway ${gatewayId} needs a condition or must be its default flow`);
      }
    }
  };

  for (const element of model.elements.values()) {
    if (!SUPPORTED_ELEMENT_TYPES.has(element.type)) {
      fail(element.id, `${element.type} is not supported by this engine`);
      continue;
    }
    switch (element.type) {
      case 'bpmn:UserTask':
        if (element.candidateGroups.length === 0) fail(element.id, 'a user task needs a candidate group');
        if (!element.formKey) fail(element.id, 'a user task needs a form key');
        else if (!hasForm(element.formKey)) fail(element.id, `form "${element.formKey}" does not exist`);
        break;
      case 'bpmn:ServiceTask':
        if (!element.jobType) fail(element.id, 'a service task needs a job type (zeebe:taskDefinition type)');
        else if (!hasHandler(element.jobType))
          fail(element.id, `no handler is registered for job type "${element.jobType}"`);
        break;
      case 'bpmn:BoundaryEvent':
      case 'bpmn:IntermediateCatchEvent':
        if (!element.timer) fail(element.id, 'only timer events are supported here');
        else if (isFeel(element.timer.expression)) {
          const problem = checkFeel(element.timer.expression);
          if (problem) fail(element.id, problem);
        }
        break;
      case 'bpmn:SequenceFlow':
        if (element.condition !== undefined) {
          if (!isFeel(element.condition))
            fail(element.id, 'a condition must be a FEEL expression starting with "="');
          else {
            const problem = checkFeel(element.condition);
            if (problem) fail(element.id, problem);
          }
        }
        break;
      case 'bpmn:InclusiveGateway':
        if ((incoming.get(element.id) ?? 0) > 1) {
          fail(
            element.id,
            'an inclusive gateway may split but not join: the engine does not implement the inclusive join',
          );
        }
        checkGatewayFlows(element.id, element.defaultFlow);
        break;
      case 'bpmn:ExclusiveGateway':
        checkGatewayFlows(element.id, element.defaultFlow);
        break;
    }
  }
  return errors;
}
