/**
 * Where the service reads the time for durable timers: when a timer is due, and how long its wake-up job is
 * delayed. The system clock in production; tests inject one they move by hand instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
