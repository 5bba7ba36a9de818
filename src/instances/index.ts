/** What other modules may use of instances beside its services, entities and events. */
export { assertSize, assertVariables } from './json-variables.js';
export { waitVariablesSql } from './instance-job.repository.js';
