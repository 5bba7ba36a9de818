/** The engine's public surface: what hosts, validators and schedulers outside src/engine may use. */
export * from './engine-host.js';
export * from './process-model.js';
export * from './feel.js';
export { runWithinTime, TimeExceededError } from './within-time.js';
export * from './timer-bounds.js';
export * from './engine-state.js';
export { SIGNAL_BROADCAST_JOB_TYPE } from './throw-job-events.js';
export { startTimerProblem, startTimerValue, nextStartTimerDue, type StartTimer } from './timer-starts.js';
