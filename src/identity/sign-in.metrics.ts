import { Inject, Injectable } from '@nestjs/common';
import { MetricsRegistry } from '../platform/metrics.js';
import { SignInThrottle } from './sign-in-throttle.service.js';

/** Counts the sign-ins the throttle refused, as the throttle tells them. */
@Injectable()
export class SignInMetrics {
  constructor(
    @Inject(MetricsRegistry) metrics: MetricsRegistry,
    @Inject(SignInThrottle) signIns: SignInThrottle,
  ) {
    const throttled = metrics.counter({
      name: 'release_flow_sign_ins_throttled_total',
      help: 'Sign-in attempts refused with 429 during a lockout, by surface (api, queue-board, camunda-api) and what was locked (user, address)',
      labelNames: ['surface', 'scope'],
    });
    signIns.onThrottled(({ surface, scope }) => throttled.inc({ surface, scope }));
  }
}
