/**
 * Decisions (DMN 1.3): read a DMN file into plain data and evaluate its decisions with FEEL. Pure: no storage, no
 * Nest; the definitions module deploys and versions the files, a business rule task calls a decision by id.
 */
export * from './decision-model.js';
export {
  readDmn,
  looksLikeDmn,
  InvalidDmnError,
  DMN_NAMESPACE,
  MAX_DECISION_KEY_LENGTH,
} from './dmn-reader.js';
export {
  evaluateDecision,
  DecisionEvaluationError,
  type DecisionResult,
  type EvaluatedDecision,
  type EvaluationOptions,
} from './decision-evaluator.js';
