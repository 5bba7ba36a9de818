import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { DecisionEvaluationError } from '../decisions/index.js';
import { DECISION_JOB_TYPE } from '../engine/index.js';
import { NotFoundError } from '../platform/errors.js';
import { JobHandlerFor } from '../queue/job-handler.decorators.js';
import type { JobContext, JobHandler, JobResult } from '../queue/job-handler.port.js';
import { DecisionService } from './decision.service.js';

/**
 * A business rule task: evaluate the latest version of its decision with the instance's variables and set the
 * result on `resultVariable`. A decision that fails (no rule where one is required, two for UNIQUE) or is not
 * deployed becomes an incident at once, naming the decision and its inputs: retrying cannot change the outcome
 * until the decision is fixed and deployed, then the incident's retry runs it again.
 */
@Injectable()
@JobHandlerFor()
export class DecisionTaskHandler implements JobHandler {
  readonly jobType = DECISION_JOB_TYPE;

  constructor(@Inject(DecisionService) private readonly decisions: DecisionService) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const { decisionId, resultVariable } = context.headers;
    if (!decisionId)
      throw new UnrecoverableError(`${context.elementId}: the business rule task names no decision`);
    try {
      const outcome = await this.decisions.evaluateLatest(decisionId, context.variables, manager);
      return {
        variables: resultVariable ? { [resultVariable]: outcome.output } : {},
        outcome: {
          decisionId,
          version: outcome.version,
          decisionDefinitionId: outcome.decisionDefinitionId,
        },
      };
    } catch (err) {
      if (err instanceof DecisionEvaluationError || err instanceof NotFoundError)
        throw new UnrecoverableError(`decision ${decisionId} at ${context.elementId}: ${err.message}`);
      throw err;
    }
  }
}
