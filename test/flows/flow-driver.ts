import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { PROJECT_ROOT, type TestApp } from '../support/test-app';
import { formDataFor } from '../support/form-samples';
import { eventually } from '../support/test-env';

/**
 * Drives release flows through the public HTTP API the way the people in the procedure would: file a
 * request, wait for a task to reach a group's inbox, complete it with form data; then read back what the
 * instance did (path, jobs, offered tasks) for the scenario's assertions. Each step is taken by the test user
 * of the role that does it (users are named after their role); forms are filled with valid sample values
 * for the fields a scenario does not name, and notes the form has no field for are left out.
 */

export type ReleaseClass = 'standard' | 'emergency' | 'major';

export interface ReleaseRequest {
  title: string;
  source: 'hardware' | 'software' | 'project-info' | 'document' | 'other';
  rollbackPlan?: string;
  scope?: string;
  content?: string;
  plannedAt?: string;
  changeRequest?: string;
  configurationItems?: string[];
  distributionMethods?: Array<'intranet' | 'email' | 'paper' | 'telegram'>;
  distributionScope?: string;
}

export interface Release {
  id: string;
  number: string;
  releaseClass: ReleaseClass;
  status: string;
  instanceId: string;
  source: string;
  title: string;
}

export interface ReleaseView extends Release {
  currentSteps: Array<{ elementId: string; kind: string }>;
  openTasks: Task[];
  incidents: unknown[];
}

export interface Task {
  id: string;
  elementId: string;
  name: string | null;
  candidateGroups: string[];
  formKey: string | null;
  status: string;
  instanceId: string;
  businessKey: string | null;
  processKey: string;
}

export interface HistoryEvent {
  type: string;
  elementId: string | null;
  elementName: string | null;
  actor: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export interface InstanceView {
  id: string;
  processKey: string;
  businessKey: string | null;
  status: 'running' | 'completed' | 'cancelled';
  endStatus: string | null;
  variables: Record<string, unknown>;
  activeActivities: Array<{
    elementId: string;
    kind: 'user-task' | 'service-task' | 'timer';
    jobType?: string;
  }>;
  completedActivities: string[];
  takenFlows: string[];
  openTasks: Task[];
  incidents: unknown[];
  history: HistoryEvent[];
}

export interface JobRun {
  jobType: string;
  elementId: string;
  headers: Record<string, string>;
}

/** `elementId@group[formKey]`: one offered task as the scenarios write it. */
export const offer = (elementId: string, group: string, formKey: string) =>
  `${elementId}@${group}[${formKey}]`;

const DEFAULT_REQUEST: Record<ReleaseClass, ReleaseRequest> = {
  standard: {
    title: 'Billing service 4.2',
    source: 'software',
    rollbackPlan: 'Redeploy 4.1 from the PSL and restore the schema snapshot',
    scope: 'billing cluster',
    configurationItems: ['billing-api', 'billing-db'],
    distributionMethods: ['intranet', 'email'],
    distributionScope: 'finance department',
  },
  emergency: {
    title: 'Hotfix: payment gateway certificate',
    source: 'software',
    scope: 'payment gateway',
    configurationItems: ['payment-gateway'],
    distributionMethods: ['telegram'],
    distributionScope: 'operations',
  },
  major: {
    title: 'ERP 2026 upgrade',
    source: 'software',
    rollbackPlan: 'Switch traffic back to the ERP 2025 cluster; restore from the pre-upgrade backup',
    scope: 'all ERP modules',
    configurationItems: ['erp-app', 'erp-db', 'erp-reports'],
    distributionMethods: ['intranet', 'email', 'paper'],
    distributionScope: 'whole company',
  },
};

export class FlowDriver {
  /** Tasks as they were offered, per release, in the order the scenario met them. */
  private readonly offers = new Map<string, string[]>();

  /**
   * @param flowsTaken collects the sequence flows of every instance seen to end, so a file can check that its
   *   scenarios together walked every flow of the BPMN (shared between drivers of one file).
   */
  constructor(
    private readonly t: TestApp,
    readonly flowsTaken: Set<string> = new Set(),
  ) {}

  /** The applicant files a release request (start form); the flow of its class starts. */
  async fileRelease(cls: ReleaseClass, overrides: Partial<ReleaseRequest> = {}): Promise<Release> {
    const res = await this.t
      .as('applicant')
      .post('/api/releases')
      .send({ class: cls, request: { ...DEFAULT_REQUEST[cls], ...overrides } });
    if (res.status !== 201)
      throw new Error(`filing a ${cls} release failed: ${res.status} ${JSON.stringify(res.body)}`);
    const release = res.body as Release;
    this.offers.set(release.id, []);
    return release;
  }

  /** Poll the release's inbox until a task for the element is open; it is recorded as offered. */
  async waitForTask(releaseId: string, elementId: string): Promise<Task> {
    const task = await eventually(
      async () => {
        const tasks = await this.openTasks(releaseId);
        const found = tasks.filter((t) => t.elementId === elementId);
        if (found.length > 1) throw new Error(`${found.length} open ${elementId} tasks`);
        return found[0];
      },
      { what: `task ${elementId} of release ${releaseId}` },
    );
    // The task is in the inbox of each of its candidate groups.
    for (const group of task.candidateGroups) {
      const inbox = await this.inbox({ candidateGroup: group, releaseId }, group);
      if (!inbox.some((t) => t.id === task.id)) throw new Error(`${elementId} is not in the ${group} inbox`);
    }
    this.offers
      .get(releaseId)
      ?.push(offer(task.elementId, task.candidateGroups.join(','), task.formKey ?? ''));
    return task;
  }

  /** Complete a task with its form data (merged into the process variables). */
  async complete(task: Task, data: Record<string, unknown> = {}): Promise<void> {
    const res = await this.t
      .as(task.candidateGroups[0]!)
      .post(`/api/tasks/${task.id}/complete`)
      .send({ data: formDataFor(task.formKey, data) });
    if (res.status !== 200)
      throw new Error(`completing ${task.elementId} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /**
   * Complete a task with a routing decision its form refuses: `value` undefined leaves the field out, any
   * other value replaces it (e.g. a misspelling); the rest of the form is valid. The inbox must answer 400
   * naming just that field; the same data is then completed on the instance past the form check, as if a
   * client had bypassed it, so the scenario can show which way the gateway's default sends the release.
   */
  async forceDecision(
    releaseId: string,
    elementId: string,
    field: string,
    value: unknown = undefined,
  ): Promise<Task> {
    const task = await this.waitForTask(releaseId, elementId);
    const data = formDataFor(task.formKey, {});
    if (!(field in data)) throw new Error(`${field} is not a required field of form ${task.formKey}`);
    if (value === undefined) delete data[field];
    else data[field] = value;
    const actor = task.candidateGroups[0]!;
    const refused = await this.t.as(actor).post(`/api/tasks/${task.id}/complete`).send({ data });
    const fields = ((refused.body as { details?: Array<{ field: string }> }).details ?? []).map(
      (d) => d.field,
    );
    if (refused.status !== 400 || fields.join() !== field)
      throw new Error(
        `the inbox should refuse ${elementId} for ${field} alone: ${refused.status} ${JSON.stringify(refused.body)}`,
      );
    await this.t.get<InstanceService>(InstanceService).completeTask(task.id, data, actor);
    return task;
  }

  /** Wait for the task, then complete it: one step of a person in the flow. */
  async step(releaseId: string, elementId: string, data: Record<string, unknown> = {}): Promise<Task> {
    const task = await this.waitForTask(releaseId, elementId);
    await this.complete(task, data);
    return task;
  }

  async openTasks(releaseId: string): Promise<Task[]> {
    return this.inbox({ releaseId });
  }

  /** The inbox as `as` sees it (the project manager sees every task). */
  async inbox(
    query: { candidateGroup?: string; releaseId?: string; processKey?: string },
    as = 'project-manager',
  ): Promise<Task[]> {
    const res = await this.t
      .as(as)
      .get('/api/tasks')
      .query({ ...query, pageSize: 200 })
      .expect(200);
    return (res.body as { items: Task[] }).items;
  }

  async release(releaseId: string): Promise<ReleaseView> {
    return (await this.t.as('project-manager').get(`/api/releases/${releaseId}`).expect(200))
      .body as ReleaseView;
  }

  async instance(instanceId: string): Promise<InstanceView> {
    return (await this.t.as('project-manager').get(`/api/process-instances/${instanceId}`).expect(200))
      .body as InstanceView;
  }

  /** Wait until the release's flow has ended; returns both the release and its instance. */
  async waitForEnd(releaseId: string): Promise<{ release: ReleaseView; instance: InstanceView }> {
    return eventually(
      async () => {
        const release = await this.release(releaseId);
        if (release.status === 'in-progress') return undefined;
        const instance = await this.instance(release.instanceId);
        if (instance.status === 'running') return undefined;
        for (const flow of instance.takenFlows) this.flowsTaken.add(flow);
        return { release, instance };
      },
      { what: `release ${releaseId} to end` },
    );
  }

  /** The tasks offered so far for the release, as `elementId@groups[formKey]`. */
  offered(releaseId: string): string[] {
    return [...(this.offers.get(releaseId) ?? [])];
  }

  /** The jobs the workers carried out for the instance, in the order the instance created them. */
  async jobs(instanceId: string): Promise<JobRun[]> {
    const rows: Array<{
      job_type: string;
      element_id: string;
      request: { headers?: Record<string, string> };
    }> = await this.t.dataSource.query(
      `SELECT e.job_type, e.element_id, e.request
           FROM job_effect e JOIN job j ON j.id = e.job_id
          WHERE e.instance_id = $1
          ORDER BY j.created_at, e.created_at, e.job_id`,
      [instanceId],
    );
    return rows.map((r) => ({
      jobType: r.job_type,
      elementId: r.element_id,
      headers: r.request.headers ?? {},
    }));
  }

  /** `job_type:element_id` of each job run, in created order. */
  async jobsRun(instanceId: string): Promise<string[]> {
    return (await this.jobs(instanceId)).map((j) => `${j.jobType}:${j.elementId}`);
  }

  /** The templates of the notify jobs run, in order. */
  async notifications(instanceId: string): Promise<string[]> {
    return (await this.jobs(instanceId))
      .filter((j) => j.jobType === 'notify')
      .map((j) => j.headers.template ?? '');
  }

  /** Wait until a job of the given type (and headers) has been carried out for the instance. */
  async waitForJob(
    instanceId: string,
    jobType: string,
    headers: Record<string, string> = {},
  ): Promise<JobRun> {
    return eventually(
      async () =>
        (await this.jobs(instanceId)).find(
          (j) => j.jobType === jobType && Object.entries(headers).every(([k, v]) => j.headers[k] === v),
        ),
      { what: `job ${jobType} ${JSON.stringify(headers)} of instance ${instanceId}` },
    );
  }

  /** Wait until the instance has completed the element (history `activity.end`). */
  async waitForActivity(instanceId: string, elementId: string): Promise<void> {
    await eventually(async () => (await this.pathTaken(instanceId)).includes(elementId), {
      what: `activity ${elementId} of instance ${instanceId} to end`,
    });
  }

  /** Element ids in the order the instance completed them (history `activity.end`). */
  async pathTaken(instanceId: string): Promise<string[]> {
    const view = await this.instance(instanceId);
    return view.history.filter((h) => h.type === 'activity.end').map((h) => h.elementId ?? '');
  }
}

/** The ids of every sequence flow in a process file of processes/. */
export function sequenceFlowsOf(processKey: string): string[] {
  const xml = readFileSync(join(PROJECT_ROOT, 'processes', `${processKey}.bpmn`), 'utf8');
  return [...xml.matchAll(/<bpmn:sequenceFlow id="([^"]+)"/g)].map((m) => m[1]!);
}

/** True when `expected` occurs in `actual` in the same order (other elements may come between). */
export function inOrder(actual: readonly string[], expected: readonly string[]): boolean {
  let i = 0;
  for (const item of actual) if (i < expected.length && item === expected[i]) i++;
  return i === expected.length;
}
