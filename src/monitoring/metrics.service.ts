import { Inject, Injectable } from '@nestjs/common';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { MetricsRegistry } from '../platform/metrics.js';
import { QUEUE_INSPECTOR, type QueueInspector } from '../queue/queue-inspector.port.js';
import { TaskService } from '../tasks/task.service.js';

/**
 * Serves the Prometheus metrics. Each module observes its own (durations, failures, throttled sign-ins) on
 * the platform's registry; the counts of records (instances, incidents, open tasks, outbox lag, queue depth)
 * are gauges read here at scrape time through the owners' public services, so every process reports the
 * same global figure (aggregate with max), while durations and failures are the observing process's own
 * (aggregate with sum).
 */
@Injectable()
export class MetricsService {
  constructor(
    @Inject(MetricsRegistry) private readonly metrics: MetricsRegistry,
    @Inject(InstanceQueryService) instances: InstanceQueryService,
    @Inject(TaskService) tasks: TaskService,
    @Inject(QUEUE_INSPECTOR) queues: QueueInspector,
  ) {
    metrics.gauge({
      name: 'release_flow_process_instances',
      help: 'Process instances by process, release class and status (running, completed with its end status, cancelled)',
      labelNames: ['process', 'class', 'status'],
      async collect() {
        const rows = await instances.countsByStatus();
        this.reset();
        for (const r of rows) this.set({ process: r.process, class: r.class, status: r.status }, r.n);
      },
    });

    metrics.gauge({
      name: 'release_flow_open_incidents',
      help: 'Open incidents (failed jobs) by process, release class and job type: instances stuck until an operator acts',
      labelNames: ['process', 'class', 'job_type'],
      async collect() {
        const rows = await instances.openIncidentsByClass();
        this.reset();
        for (const r of rows) this.set({ process: r.process, class: r.class, job_type: r.jobType }, r.n);
      },
    });

    metrics.gauge({
      name: 'release_flow_open_tasks',
      help: 'Open user tasks by candidate group',
      labelNames: ['candidate_group'],
      async collect() {
        const rows = await tasks.openByGroup();
        this.reset();
        for (const r of rows) this.set({ candidate_group: r.candidateGroup }, r.n);
      },
    });

    metrics.gauge({
      name: 'release_flow_outbox_lag_seconds',
      help: 'Age of the oldest outbox message not yet put on its queue (0 when none)',
      async collect() {
        this.set(await queues.relayLagSeconds());
      },
    });

    metrics.gauge({
      name: 'release_flow_queue_jobs',
      help: 'Jobs in each queue by state',
      labelNames: ['queue', 'state'],
      async collect() {
        const counts = await Promise.all(
          queues.names().map(async (name) => ({ name, counts: await queues.counts(name) })),
        );
        this.reset();
        for (const queue of counts)
          for (const [state, n] of Object.entries(queue.counts)) this.set({ queue: queue.name, state }, n);
      },
    });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return this.metrics.exposition();
  }
}
