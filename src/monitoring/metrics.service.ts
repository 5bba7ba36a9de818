import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { SignInThrottle } from '../identity/sign-in-throttle.service.js';
import { JOB_QUEUE } from '../queue/job-queue.port.js';
import type { BullMqJobQueue } from '../queue/bullmq-job-queue.js';
import { JobHandlerRegistry } from '../queue/job-handler.port.js';
import { TIMER_QUEUE } from '../queue/job-queue.port.js';

/**
 * Prometheus metrics. Counts of records (instances, open tasks, outbox lag, queue depth) are read from
 * PostgreSQL and Redis at scrape time, so every process reports the same global figure (aggregate with max);
 * durations and failures are observed by the process that saw them (aggregate with sum).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly jobDuration = new Histogram({
    name: 'release_flow_job_duration_seconds',
    help: 'Time a job handler took, by job type and outcome',
    labelNames: ['job_type', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly jobFailures = new Counter({
    name: 'release_flow_job_failures_total',
    help: 'Failed job attempts, by job type; final=true when retries ran out and an incident opened',
    labelNames: ['job_type', 'final'],
    registers: [this.registry],
  });

  readonly taskWaitingTime = new Histogram({
    name: 'release_flow_task_waiting_seconds',
    help: 'Time from a user task being offered to its completion, by form',
    labelNames: ['form_key'],
    buckets: [60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600],
    registers: [this.registry],
  });

  readonly timerLateness = new Histogram({
    name: 'release_flow_timer_lateness_seconds',
    help: 'How late a durable timer woke its instance after its due time',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300],
    registers: [this.registry],
  });

  readonly signInsThrottled = new Counter({
    name: 'release_flow_sign_ins_throttled_total',
    help: 'Sign-in attempts refused with 429 during a lockout, by surface (api, queue-board) and what was locked (user, address)',
    labelNames: ['surface', 'scope'],
    registers: [this.registry],
  });

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JOB_QUEUE) private readonly queues: BullMqJobQueue,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(SignInThrottle) signIns: SignInThrottle,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'release_flow_' });
    signIns.onThrottled(({ surface, scope }) => this.signInsThrottled.inc({ surface, scope }));
    const db = this.dataSource;
    const queueNames = [...this.handlers.jobTypes, TIMER_QUEUE];

    new Gauge({
      name: 'release_flow_process_instances',
      help: 'Process instances by process, release class and status (running, completed with its end status, cancelled)',
      labelNames: ['process', 'class', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows: Array<{ process: string; class: string; status: string; n: number }> = await db.query(
          `SELECT process_key AS process, coalesce(variables->>'releaseClass', 'none') AS class,
                  CASE WHEN status = 'completed' THEN coalesce(end_status, 'completed') ELSE status END AS status,
                  count(*)::int AS n
             FROM process_instance GROUP BY 1, 2, 3`,
        );
        for (const r of rows) this.set({ process: r.process, class: r.class, status: r.status }, r.n);
      },
    });

    new Gauge({
      name: 'release_flow_open_incidents',
      help: 'Open incidents (failed jobs) by process, release class and job type: instances stuck until an operator acts',
      labelNames: ['process', 'class', 'job_type'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows: Array<{ process: string; class: string; job_type: string; n: number }> = await db.query(
          `SELECT i.process_key AS process, coalesce(i.variables->>'releaseClass', 'none') AS class, x.job_type,
                  count(*)::int AS n
             FROM incident x JOIN process_instance i ON i.id = x.instance_id
            WHERE x.status = 'open' GROUP BY 1, 2, 3`,
        );
        for (const r of rows) this.set({ process: r.process, class: r.class, job_type: r.job_type }, r.n);
      },
    });

    new Gauge({
      name: 'release_flow_open_tasks',
      help: 'Open user tasks by candidate group',
      labelNames: ['candidate_group'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows: Array<{ grp: string; n: number }> = await db.query(
          `SELECT unnest(candidate_groups) AS grp, count(*)::int AS n FROM user_task WHERE status = 'open' GROUP BY 1`,
        );
        for (const r of rows) this.set({ candidate_group: r.grp }, r.n);
      },
    });

    new Gauge({
      name: 'release_flow_outbox_lag_seconds',
      help: 'Age of the oldest outbox message not yet put on its queue (0 when none)',
      registers: [this.registry],
      async collect() {
        const rows: Array<{ lag: number | null }> = await db.query(
          `SELECT extract(epoch FROM now() - min(created_at))::float AS lag FROM outbox WHERE relayed_at IS NULL`,
        );
        this.set(rows[0]?.lag ?? 0);
      },
    });

    new Gauge({
      name: 'release_flow_queue_jobs',
      help: 'Jobs in each queue by state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const name of queueNames) {
          const counts = await queues
            .queue(name)
            .getJobCounts('waiting', 'delayed', 'active', 'failed', 'completed');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
        }
      },
    });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
