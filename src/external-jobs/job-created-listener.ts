import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsRegistry } from '../platform/metrics.js';
import { JOB_CREATED_CHANNEL } from '../queue/job-queue.port.js';

const RECONNECT_MS = 2000;

/** A wait for jobs of one type to be created; registered before the read it follows, so no creation slips by. */
export interface JobCreatedWait {
  /** Resolves when a job of the type was created, after `ms`, or at shutdown, whichever is first. */
  wait(ms: number): Promise<void>;
  cancel(): void;
}

/**
 * Wakes the long polls of job activation when a job of their type is created, in any process: one connection
 * per process LISTENs on JOB_CREATED_CHANNEL, which the creating transaction notifies on commit. Requests wait
 * on this process's memory, never on a database connection. The embedded database serves one connection only,
 * so there (and while the listening connection is down) the polls rely on their re-check interval.
 */
@Injectable()
export class JobCreatedListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobCreatedListener.name);
  private readonly waits = new Map<string, Set<() => void>>();
  private client: Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MetricsRegistry) metrics: MetricsRegistry,
  ) {
    const waits = this.waits;
    // One figure, not one per job type: the type is whatever a worker asks for, so it may not become a label.
    metrics.gauge({
      name: 'release_flow_job_activations_waiting',
      help: 'Job activations of this process long polling for jobs of their type now',
      collect() {
        let waiting = 0;
        for (const wakes of waits.values()) waiting += wakes.size;
        this.set(waiting);
      },
    });
  }

  get closed(): boolean {
    return this.stopped;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.databaseUrl !== undefined) await this.listen(this.config.databaseUrl);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    for (const wakes of this.waits.values()) for (const wake of wakes) wake();
    this.waits.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** How many activations wait for jobs of the type now (for the metrics and tests). */
  waiting(jobType: string): number {
    return this.waits.get(jobType)?.size ?? 0;
  }

  /** Register interest in `jobType` now; wait on it after the read that found nothing. */
  register(jobType: string): JobCreatedWait {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    if (this.stopped) wake();
    let wakes = this.waits.get(jobType);
    if (!wakes) this.waits.set(jobType, (wakes = new Set()));
    wakes.add(wake);
    const cancel = () => {
      wakes.delete(wake);
      if (wakes.size === 0 && this.waits.get(jobType) === wakes) this.waits.delete(jobType);
    };
    return {
      wait: async (ms) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
        clearTimeout(timer);
      },
      cancel,
    };
  }

  private wake(jobType: string): void {
    const wakes = this.waits.get(jobType);
    if (!wakes) return;
    this.waits.delete(jobType);
    for (const wake of wakes) wake();
  }

  private async listen(databaseUrl: string): Promise<void> {
    const client = new Client({ connectionString: databaseUrl });
    client.on('notification', (message) => {
      if (message.channel === JOB_CREATED_CHANNEL && message.payload) this.wake(message.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${JOB_CREATED_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
    } catch (err) {
      this.lost(client, err);
    }
  }

  /** The polls go on on their interval meanwhile; listening resumes on a new connection. */
  private lost(client: Client, err: unknown): void {
    if (this.stopped || this.reconnect || (this.client && this.client !== client)) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.logger.warn(`job activation stopped listening for new jobs, retrying: ${String(err)}`);
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      if (this.config.databaseUrl !== undefined) void this.listen(this.config.databaseUrl);
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}
