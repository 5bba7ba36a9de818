import { Inject, Injectable } from '@nestjs/common';
import { MetricsRegistry } from '../platform/metrics.js';

/** What the queue workers observe: durations and failures by job type, and how late timers wake. */
@Injectable()
export class QueueMetrics {
  readonly jobDuration;
  readonly jobFailures;
  readonly timerLateness;

  constructor(@Inject(MetricsRegistry) metrics: MetricsRegistry) {
    this.jobDuration = metrics.histogram({
      name: 'release_flow_job_duration_seconds',
      help: 'Time a job handler took, by job type and outcome',
      labelNames: ['job_type', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    this.jobFailures = metrics.counter({
      name: 'release_flow_job_failures_total',
      help: 'Failed job attempts, by job type; final=true when retries ran out and an incident opened',
      labelNames: ['job_type', 'final'],
    });
    this.timerLateness = metrics.histogram({
      name: 'release_flow_timer_lateness_seconds',
      help: 'How late a durable timer woke its instance after its due time',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300],
    });
  }
}
