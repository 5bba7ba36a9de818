import { InstanceJobRepository } from '../../src/instances/instance-job.repository';
import { InstanceService } from '../../src/instances/instance.service';
import type { Clock } from '../../src/platform/clock';
import { ReleaseDriver } from './release-driver';
import { startTestApp, type TestApp } from './test-app';
import { newTestResources, type TestResources } from './test-env';

/** An instance's stored row, as the engine scenarios check it. */
export interface StoredInstance {
  readonly status: string;
  readonly variables: Record<string, unknown>;
  readonly waits: ReadonlyArray<{ readonly elementId: string; readonly kind: string }>;
}

/**
 * The service for a scenario about the engine: its flows from a fixture folder, the job types it knows (each
 * handled as done, with nothing to do), restartable at a wait on the same database and queues, and the stored
 * rows the scenarios look at (waits, pending jobs, open tasks) read by what a scenario names.
 */
export class EngineScenario {
  private constructor(
    private current: TestApp,
    private readonly start: () => Promise<TestApp>,
  ) {}

  /**
   * @param processesDir the folder whose flows are deployed on start (unset: the shipped release flows)
   * @param jobTypes the service-task types the service works itself (none of them does anything)
   * @param workers false: no workers run, and the scenario reports the jobs by hand
   * @param clock a clock the scenario moves
   */
  static async start({
    processesDir,
    jobTypes = [],
    workers = true,
    clock,
  }: {
    processesDir?: string;
    jobTypes?: readonly string[];
    workers?: boolean;
    clock?: Clock;
  }): Promise<EngineScenario> {
    const env = {
      ...(processesDir === undefined ? {} : { PROCESSES_DIR: processesDir }),
      ...(workers ? {} : { RUN_WORKERS: 'false' }),
    };
    const handlers = jobTypes.map((jobType) => ({ jobType, handle: async () => ({}) }));
    const resources = newTestResources();
    const start = () => startTestApp(env, resources, handlers, { clock });
    return new EngineScenario(await start(), start);
  }

  /** The running service (another one after each restart). */
  get t(): TestApp {
    return this.current;
  }

  get resources(): TestResources {
    return this.current.resources;
  }

  instances(): InstanceService {
    return this.current.get<InstanceService>(InstanceService);
  }

  /** Stop the service at a wait and start it again on the same database and queues. */
  async restart(): Promise<void> {
    await this.current.stop();
    this.current = await this.start();
  }

  /**
   * Another service process beside the running one, on the same database and queues, with the same flows and job
   * types; the scenario stops it.
   */
  startAnother(): Promise<TestApp> {
    return this.start();
  }

  async close(): Promise<void> {
    await this.current.close();
  }

  async row(instanceId: string): Promise<StoredInstance> {
    const [row] = await this.current.dataSource.query<StoredInstance[]>(
      'SELECT status, variables, waits FROM process_instance WHERE id = $1',
      [instanceId],
    );
    if (!row) throw new Error(`instance ${instanceId} is not stored`);
    return row;
  }

  /** The elements the instance waits at, sorted. */
  async waitingAt(instanceId: string): Promise<string[]> {
    return (await this.row(instanceId)).waits.map((w) => w.elementId).sort();
  }

  /** The instance's waits as `element:kind`, sorted. */
  async waitKinds(instanceId: string): Promise<string[]> {
    return (await this.row(instanceId)).waits.map((w) => `${w.elementId}:${w.kind}`).sort();
  }

  /** The pending jobs of an element of the instance, oldest first. */
  async pendingJobs(instanceId: string, elementId: string): Promise<string[]> {
    const rows = await this.current.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'pending'
        ORDER BY created_at, id`,
      [instanceId, elementId],
    );
    return rows.map((r) => r.id);
  }

  /** The one pending job of an element of the instance; undefined when there is none. */
  async pendingJob(instanceId: string, elementId: string): Promise<string | undefined> {
    return (await this.pendingJobs(instanceId, elementId))[0];
  }

  /** Complete the instance's pending job at the element, as a worker reporting it; fails when there is none. */
  async completeJob(
    instanceId: string,
    elementId: string,
    result: Record<string, unknown> = {},
  ): Promise<void> {
    const job = await this.pendingJob(instanceId, elementId);
    if (!job) throw new Error(`no pending job at ${elementId} of instance ${instanceId}`);
    await this.instances().completeJob(job, result);
  }

  /** The variables a job sees (its input mappings applied). */
  async jobVariables(jobId: string): Promise<Record<string, unknown>> {
    const job = await this.current
      .get<InstanceJobRepository>(InstanceJobRepository)
      .find(this.current.dataSource.manager, jobId);
    if (!job) throw new Error(`job ${jobId} is not stored`);
    return job.variables;
  }

  /** The instance's history as `type:element`, in the order it was written. */
  async history(instanceId: string): Promise<string[]> {
    const rows = await this.current.dataSource.query<Array<{ type: string; element_id: string | null }>>(
      'SELECT type, element_id FROM history_event WHERE instance_id = $1 ORDER BY id',
      [instanceId],
    );
    return rows.map((h) => `${h.type}:${h.element_id ?? ''}`);
  }

  /** How many jobs of an element of the instance completed. */
  async completedJobs(instanceId: string, elementId: string): Promise<number> {
    const [row] = await this.current.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'completed'`,
      [instanceId, elementId],
    );
    return row!.n;
  }

  /** Complete the instance's open task at the element over HTTP, as `as`; anything but 200 fails. */
  async completeTask(
    instanceId: string,
    elementId: string,
    data: Record<string, unknown> = {},
    as = 'project-manager',
  ): Promise<void> {
    const [task] = await this.current.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM user_task WHERE instance_id = $1 AND element_id = $2 AND status = 'open'`,
      [instanceId, elementId],
    );
    if (!task) throw new Error(`no open task at ${elementId} of instance ${instanceId}`);
    await this.current.as(as).post(`/api/tasks/${task.id}/complete`).send({ data }).expect(200);
  }

  /** An incident as `/v2` lists it: searched by its process as an administrator, found by the key it was given. */
  async v2Incident(incidentId: string, processId: string): Promise<Record<string, unknown> | undefined> {
    const res = await ReleaseDriver.forApp(this.current).call(
      'POST',
      '/v2/incidents/search',
      { filter: { processDefinitionId: processId } },
      'admin',
    );
    if (res.status !== 200) throw new Error(`incident search answered ${res.status}`);
    const [key] = await this.current.dataSource.query<Array<{ key: string }>>(
      `SELECT key::text AS key FROM camunda_key WHERE kind = 'incident' AND ref = $1`,
      [incidentId],
    );
    return (res.body.items as Array<Record<string, unknown>>).find((i) => i.incidentKey === key?.key);
  }
}
