import { Inject, Injectable } from '@nestjs/common';
import { MetricsRegistry } from '../platform/metrics.js';

/** What the inbox observes: how long a task waited for its completion. */
@Injectable()
export class TaskMetrics {
  readonly taskWaitingTime;

  constructor(@Inject(MetricsRegistry) metrics: MetricsRegistry) {
    this.taskWaitingTime = metrics.histogram({
      name: 'release_flow_task_waiting_seconds',
      help: 'Time from a user task being offered to its completion, by form',
      labelNames: ['form_key'],
      buckets: [60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600],
    });
  }
}
