import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type request from 'supertest';
import type { HistoryEventEntity } from '../../src/instances/history-event.entity';
import type { IncidentEntity } from '../../src/instances/incident.entity';
import type {
  ActiveActivity,
  InstanceView as InstanceViewModel,
} from '../../src/instances/instance-query.service';
import { JobEntity } from '../../src/queue/job.entity';
import { ProcessInstanceEntity } from '../../src/instances/process-instance.entity';
import type { JobContext } from '../../src/queue/job-handler.port';
import type { ReleaseRequestDto } from '../../src/releases/release.dto';
import type { ReleaseClass, ReleaseEntity } from '../../src/releases/release.entity';
import { TaskService } from '../../src/tasks/task.service';
import type { UserTaskEntity } from '../../src/tasks/user-task.entity';
import { TokenService } from '../../src/identity/token.service';
import type { Role } from '../../src/identity/user.entity';
import { UserService } from '../../src/identity/user.service';
import { PROJECT_ROOT, type TestApp } from './test-app';
import { fieldsOf, requiredSampleData, type FormJsSchema } from './form-samples';
import { eventually } from './test-env';
import { appTransport, httpTransport, type ApiResponse, type HttpMethod, type Transport } from './transport';
import { seedUsers, TEST_JWT_SECRET, TEST_ROLES, type Tokens } from './users';

/**
 * How long a wait for the flow to move on may take: past service tasks whose jobs queue behind other test files'
 * on a loaded 2-core machine (15 s was missed once with eight releases walking at once). A passing wait returns
 * as soon as it passes; only a failing one takes this long.
 */
const FLOW_PROGRESS_MS = 60_000;

/**
 * The one test driver: takes releases through the public API the way the people in the procedure would (file
 * a request, wait for a task in a group's inbox, complete it with form data) and reads back what happened.
 * Over a transport, so the same scenario runs against the in-process app (`ReleaseDriver.forApp(t)`) or a
 * child process (`new ReleaseDriver(url, tokens)`). Each step is taken by the test user of the role that does
 * it (users are named after their role). Form data is checked against the task's form as the API hands it
 * out: a field the form does not have fails the step loudly instead of being dropped or defaulted.
 */

/** What a stored type looks like once it has been through JSON (dates become strings). */
export type Json<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Json<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Json<T[K]> }
      : T;

export type { ReleaseClass };
export type ReleaseRequest = Partial<ReleaseRequestDto>;
/** A filed release always has its instance. */
export type Release = Json<Omit<ReleaseEntity, 'instanceId'>> & { instanceId: string };
export type Task = Json<UserTaskEntity>;
export type HistoryEvent = Json<HistoryEventEntity>;
export type InstanceView = Json<InstanceViewModel>;
export type TaskDetail = Task & { form: FormJsSchema | null; history: HistoryEvent[] };
export interface ReleaseView extends Release {
  currentSteps: Array<Json<ActiveActivity>>;
  openTasks: Task[];
  incidents: Array<Json<IncidentEntity>>;
}

/** A task as far as the driver needs one (tasks from any listing will do). */
export type TaskRef = Pick<Task, 'id' | 'formKey' | 'candidateGroups'> & {
  elementId?: string;
  formVersion?: number | null;
};

export interface JobRun {
  jobType: string;
  elementId: string;
  headers: Record<string, string>;
}

/** `elementId@group[formKey]`: one offered task as the scenarios write it. */
export const offer = (elementId: string, group: string, formKey: string) =>
  `${elementId}@${group}[${formKey}]`;

/** A request per class that its flow accepts, so a scenario names only what it is about. */
export const DEFAULT_REQUEST: Readonly<Record<ReleaseClass, ReleaseRequest>> = {
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

/** Just what filing needs, for scenarios about the inbox rather than the release's content. */
export const MINIMAL_REQUEST: Readonly<Record<ReleaseClass, ReleaseRequest>> = Object.fromEntries(
  (['standard', 'emergency', 'major'] as const).map((releaseClass) => [
    releaseClass,
    {
      title: `${releaseClass} release`,
      source: 'software',
      rollbackPlan: 'reinstall the previous version from the PSL',
    },
  ]),
) as Record<ReleaseClass, ReleaseRequest>;

/** The answers that take an emergency release straight through to closed. */
export const EMERGENCY_HAPPY_PATH: Record<string, Record<string, unknown>> = {
  'approve-emergency': { approvalDecision: 'approve' },
  'install-release': { installResult: 'success' },
  'verify-release': { verificationResult: 'pass' },
};

/**
 * The emergency flow after its verification passed, step by step to its close: the three people's steps after the
 * fact (documentation, the full test report, and the network engineer's version and configuration check, which
 * the CMDB update waits for; the three are open at once), the post-implementation review, and the network
 * engineer's archive (procedure 5.3.8).
 */
export const EMERGENCY_CLOSE_OUT: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['write-documentation', { documentation: 'runbook updated' }],
  ['complete-test-report', { testResult: 'pass' }],
  ['register-version', { versionNumber: '2026.11.1-hotfix', configurationVerified: true }],
  ['post-implementation-review', { followUpActions: 'certificate expiry monitoring added' }],
  ['archive-release', { archiveLocation: 'records/emergency' }],
];

/** The standard flow's happy path, step by step: element and the answers that move it on. */
export const STANDARD_HAPPY_PATH: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['assess-request', { assessmentDecision: 'approve' }],
  ['define-strategy', {}],
  ['plan-release', {}],
  ['allocate-version', { versionNumber: '1.0.0' }],
  ['build-package', {}],
  ['test-release', { testResult: 'pass' }],
  ['authorise-deployment', { deploymentDecision: 'approve' }],
  ['install-release', { installResult: 'success' }],
  ['check-configuration', { configurationVerified: true }],
  ['write-release-report', {}],
  ['archive-release', {}],
];

/** A named step of a scenario: a failure inside names it. */
export interface Step {
  readonly name: string;
  readonly run: (driver: ReleaseDriver, release: Release) => Promise<unknown>;
}

/** A person completes the task at `elementId` with `data` (the rest of the form filled validly). */
export function task(elementId: string, data: Record<string, unknown> = {}, as?: string): Step {
  const answers = Object.entries(data)
    .map(([field, value]) => `${field}=${JSON.stringify(value)}`)
    .join(', ');
  return {
    name: `${elementId}${answers ? ` (${answers})` : ''}`,
    run: (driver, release) => driver.step(release.id, elementId, data, as),
  };
}

export class ReleaseDriver {
  /** Tasks as they were offered, per release, in the order the scenario met them. */
  private readonly offers = new Map<string, string[]>();
  private readonly forms = new Map<string, FormJsSchema | null>();
  private readonly transport: Transport;
  private readonly app: TestApp | undefined;
  private readonly defaults: Readonly<Record<ReleaseClass, ReleaseRequest>>;
  /** The sequence flows of every instance seen to end (shared by the drivers of one file, for coverage). */
  readonly flowsTaken: Set<string>;

  /**
   * @param target a base URL (over HTTP) or a transport
   * @param tokens bearer tokens by username
   * @param app the in-process app, for what only it can do (jobs run, a decision forced past the form check)
   * @param defaults the request filed per class, under what a scenario names (DEFAULT_REQUEST unless given)
   */
  constructor(
    target: string | Transport,
    readonly tokens: Tokens,
    {
      app,
      flowsTaken = new Set(),
      defaults = DEFAULT_REQUEST,
    }: {
      app?: TestApp;
      flowsTaken?: Set<string>;
      defaults?: Readonly<Record<ReleaseClass, ReleaseRequest>>;
    } = {},
  ) {
    this.transport = typeof target === 'string' ? httpTransport(target) : target;
    this.app = app;
    this.defaults = defaults;
    this.flowsTaken = flowsTaken;
  }

  /** The driver of an in-process test app, with its users. */
  static forApp(
    t: TestApp,
    options: { flowsTaken?: Set<string>; defaults?: Readonly<Record<ReleaseClass, ReleaseRequest>> } = {},
  ): ReleaseDriver {
    return new ReleaseDriver(appTransport(t), t.tokens, { ...options, app: t });
  }

  /** One request as the named user (`as` undefined: no token). */
  async request<T = any>(
    method: HttpMethod,
    path: string,
    {
      body,
      contentType,
      query,
      as,
      authorization,
    }: {
      body?: unknown;
      contentType?: string;
      query?: Record<string, string | number | boolean | undefined>;
      as?: string;
      authorization?: string;
    } = {},
  ): Promise<ApiResponse<T>> {
    let header = authorization;
    if (header === undefined && as !== undefined) {
      const token = this.tokens[as];
      if (!token) throw new Error(`no test user "${as}"`);
      header = `Bearer ${token}`;
    }
    return this.transport({ method, path, query, body, contentType, authorization: header });
  }

  /** Deploy a BPMN or DMN file (an XML body: its text or bytes) as a user; the response whatever its status. */
  async deploy(
    xml: string | Uint8Array,
    as = 'process-designer',
    path = '/api/process-definitions',
  ): Promise<ApiResponse> {
    return this.request('POST', path, { body: xml, contentType: 'application/xml', as });
  }

  /** Deploy a Camunda Form (form-js JSON); the response whatever its status. */
  async deployForm(form: unknown, as = 'process-designer'): Promise<ApiResponse> {
    return this.request('POST', '/api/process-definitions', { body: form, as });
  }

  /** Deploy the shipped forms of processes/ (for an app started on another processes folder). */
  async deployShippedForms(as = 'process-designer'): Promise<void> {
    const dir = join(PROJECT_ROOT, 'processes');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.form'))) {
      const res = await this.deployForm(JSON.parse(readFileSync(join(dir, file), 'utf8')), as);
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`deploying ${file} failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }

  /** A request as a user (admin unless named); the response whatever its status. */
  async call(method: string, path: string, body?: unknown, as = 'admin'): Promise<ApiResponse> {
    const token = this.tokens[as];
    return this.request(method.toUpperCase() as HttpMethod, path, {
      body,
      authorization: token ? `Bearer ${token}` : undefined,
    });
  }

  /** A GET that must answer 200. */
  async get<T = any>(
    path: string,
    as = 'project-manager',
    query?: Record<string, string | number>,
  ): Promise<T> {
    const res = await this.request<T>('GET', path, { as, query });
    if (res.status !== 200)
      throw new Error(`GET ${path} as ${as}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The applicant files a release request (start form); the flow of its class starts. */
  async file(
    releaseClass: ReleaseClass | (string & {}),
    request: ReleaseRequest = {},
    as = 'applicant',
  ): Promise<Release> {
    const defaults = this.defaults[releaseClass as ReleaseClass] ?? {};
    const res = await this.request<Release>('POST', '/api/releases', {
      body: { class: releaseClass, request: { ...defaults, ...request } },
      as,
    });
    if (res.status !== 201)
      throw new Error(`filing a ${releaseClass} release failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.offers.set(res.body.id, []);
    return res.body;
  }

  /**
   * Wait until the release's task at the element is open and in the inbox of each of its groups; it is
   * recorded as offered.
   */
  async task(releaseId: string, elementId: string): Promise<Task> {
    const found = await eventually(
      async () => {
        const matching = (await this.openTasks(releaseId)).filter((t) => t.elementId === elementId);
        if (matching.length > 1) throw new Error(`${matching.length} open ${elementId} tasks`);
        return matching[0];
      },
      { timeoutMs: FLOW_PROGRESS_MS, what: `task ${elementId} of release ${releaseId}` },
    );
    for (const group of found.candidateGroups) {
      const inbox = await this.inbox({ candidateGroup: group, releaseId }, group);
      if (!inbox.some((t) => t.id === found.id)) throw new Error(`${elementId} is not in the ${group} inbox`);
    }
    this.offers
      .get(releaseId)
      ?.push(offer(found.elementId, found.candidateGroups.join(','), found.formKey ?? ''));
    return found;
  }

  /** @deprecated name kept for the tests written against it: see task(). */
  openTask(releaseId: string, elementId: string): Promise<Task> {
    return this.task(releaseId, elementId);
  }

  /** A task with its form schema and history, as `as` sees it. */
  async taskDetail(taskId: string, as = 'project-manager'): Promise<TaskDetail> {
    return this.get<TaskDetail>(`/api/tasks/${taskId}`, as);
  }

  /**
   * Valid data for the task's form with `fields` over it. A field the form does not have fails here, naming
   * the form's fields: a misspelt routing field must not fall through to the gateway's default.
   */
  async formData(task: TaskRef, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const form = await this.formOf(task);
    if (!form) return { ...fields };
    const known = fieldsOf(form);
    const unknown = Object.keys(fields).filter((name) => !known.has(name));
    if (unknown.length > 0)
      throw new Error(
        `form ${form.id}${task.elementId ? ` of ${task.elementId}` : ''} has no field ${unknown.join(', ')}; ` +
          `its fields are ${[...known.keys()].join(', ')}`,
      );
    return { ...requiredSampleData(form), ...fields };
  }

  /**
   * Complete a task with valid form data plus `data`, as `as` (default: the user of its first candidate group);
   * the response whatever its status.
   */
  async complete(task: TaskRef, data: Record<string, unknown> = {}, as?: string): Promise<ApiResponse> {
    return this.request('POST', `/api/tasks/${task.id}/complete`, {
      body: { data: await this.formData(task, data) },
      as: as ?? task.candidateGroups[0],
    });
  }

  /** Complete a task; anything but 200 fails the scenario. */
  async finish(task: TaskRef, data: Record<string, unknown> = {}, as?: string): Promise<Task> {
    const res = await this.complete(task, data, as);
    if (res.status !== 200)
      throw new Error(
        `completing ${task.elementId ?? task.id} failed: ${res.status} ${JSON.stringify(res.body)}`,
      );
    return res.body;
  }

  /** Wait for the task, then finish it: one step of a person in the flow. */
  async step(
    releaseId: string,
    elementId: string,
    data: Record<string, unknown> = {},
    as?: string,
  ): Promise<Task> {
    const found = await this.task(releaseId, elementId);
    await this.finish(found, data, as);
    return found;
  }

  /** Take the steps in order; a failure names the step it happened in. */
  async walk(release: Release, steps: readonly Step[]): Promise<void> {
    for (const [index, step] of steps.entries()) {
      try {
        await step.run(this, release);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`step ${index + 1} "${step.name}" of release ${release.number}: ${message}`, {
          cause: err,
        });
      }
    }
  }

  /** A standard release from its assessment up to the task `until`, which is returned open. */
  async standardTo(
    releaseId: string,
    until: string,
    as: Partial<Record<string, string>> = {},
  ): Promise<Task> {
    for (const [elementId, data] of STANDARD_HAPPY_PATH) {
      if (elementId === until) return this.task(releaseId, elementId);
      await this.step(releaseId, elementId, data, as[elementId]);
    }
    throw new Error(`${until} is not a step of the standard happy path`);
  }

  /** An emergency release whose verification passed, taken to its close (EMERGENCY_CLOSE_OUT, answers over it). */
  async closeEmergency(
    releaseId: string,
    answers: Partial<Record<string, Record<string, unknown>>> = {},
  ): Promise<void> {
    for (const [elementId, data] of EMERGENCY_CLOSE_OUT) {
      await this.step(releaseId, elementId, { ...data, ...answers[elementId] });
    }
  }

  /** Complete whatever task opens next with the answer for its element, until the release ends. */
  async runToEnd(releaseId: string, answers: Record<string, Record<string, unknown>>): Promise<string> {
    return eventually(
      async () => {
        const release = await this.release(releaseId);
        if (release.status !== 'in-progress') return release.status;
        for (const open of release.openTasks) await this.finish(open, answers[open.elementId] ?? {});
        return undefined;
      },
      { timeoutMs: FLOW_PROGRESS_MS, what: `release ${releaseId} to end` },
    );
  }

  /**
   * Complete a task with a routing decision its form refuses: `value` undefined leaves the field out, any
   * other value replaces it (e.g. a misspelling); the rest of the form is valid. The inbox must answer 400
   * naming just that field; the same data is then completed on the instance past the form check (in-process
   * only), as if a client had bypassed it, so the scenario can show where the gateway's default sends it.
   */
  async forceDecision(
    releaseId: string,
    elementId: string,
    field: string,
    value: unknown = undefined,
  ): Promise<Task> {
    const app = this.inProcess('forceDecision');
    const found = await this.task(releaseId, elementId);
    const data = await this.formData(found);
    if (!(field in data)) throw new Error(`${field} is not a required field of form ${found.formKey}`);
    if (value === undefined) delete data[field];
    else data[field] = value;
    const actor = found.candidateGroups[0]!;
    const refused = await this.request('POST', `/api/tasks/${found.id}/complete`, {
      body: { data },
      as: actor,
    });
    const fields = ((refused.body as { details?: Array<{ field: string }> }).details ?? []).map(
      (d) => d.field,
    );
    if (refused.status !== 400 || fields.join() !== field)
      throw new Error(
        `the inbox should refuse ${elementId} for ${field} alone: ${refused.status} ${JSON.stringify(refused.body)}`,
      );
    await app.get<TaskService>(TaskService).completeUnchecked(found.id, data, actor);
    return found;
  }

  async openTasks(releaseId: string): Promise<Task[]> {
    return this.inbox({ releaseId });
  }

  /** The inbox as `as` sees it (the project manager sees every task). */
  async inbox(
    query: { candidateGroup?: string; releaseId?: string; processKey?: string },
    as = 'project-manager',
  ): Promise<Task[]> {
    return (await this.get<{ items: Task[] }>('/api/tasks', as, { ...query, pageSize: 200 })).items;
  }

  async release(idOrNumber: string): Promise<ReleaseView> {
    return this.get<ReleaseView>(`/api/releases/${idOrNumber}`);
  }

  async history(releaseId: string): Promise<HistoryEvent[]> {
    return this.get<HistoryEvent[]>(`/api/releases/${releaseId}/history`);
  }

  /** The release's latest generated report of the kind, as Markdown; undefined while none was generated (404). */
  async report(
    releaseId: string,
    kind = 'release-report',
    as = 'project-manager',
  ): Promise<string | undefined> {
    const res = await this.request<string>('GET', `/api/releases/${releaseId}/reports/${kind}`, { as });
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw new Error(`GET the ${kind} of ${releaseId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async instance(instanceId: string): Promise<InstanceView> {
    return this.get<InstanceView>(`/api/process-instances/${instanceId}`);
  }

  async waitForStatus(releaseId: string, status: string): Promise<ReleaseView> {
    return eventually(
      async () => {
        const release = await this.release(releaseId);
        return release.status === status ? release : undefined;
      },
      { timeoutMs: FLOW_PROGRESS_MS, what: `release ${releaseId} to be ${status}` },
    );
  }

  /** Wait until the release's flow has ended; returns both the release and its instance. */
  async waitForEnd(releaseId: string): Promise<{ release: ReleaseView; instance: InstanceView }> {
    return eventually(
      async () => {
        const release = await this.release(releaseId);
        if (release.status === 'in-progress' || !release.instanceId) return undefined;
        const instance = await this.instance(release.instanceId);
        if (instance.status === 'running') return undefined;
        for (const flow of instance.takenFlows) this.flowsTaken.add(flow);
        return { release, instance };
      },
      { timeoutMs: FLOW_PROGRESS_MS, what: `release ${releaseId} to end` },
    );
  }

  /** The tasks offered so far for the release, as `elementId@groups[formKey]`. */
  offered(releaseId: string): string[] {
    return [...(this.offers.get(releaseId) ?? [])];
  }

  /** Element ids in the order the instance completed them (history `activity.end`). */
  async pathTaken(instanceId: string): Promise<string[]> {
    const view = await this.instance(instanceId);
    return view.history.filter((h) => h.type === 'activity.end').map((h) => h.elementId ?? '');
  }

  /** Wait until the instance has completed the element. */
  async waitForActivity(instanceId: string, elementId: string): Promise<void> {
    await eventually(async () => (await this.pathTaken(instanceId)).includes(elementId), {
      timeoutMs: FLOW_PROGRESS_MS,
      what: `activity ${elementId} of instance ${instanceId} to end`,
    });
  }

  /** The jobs the workers carried out for the instance, in the order the instance created them. */
  async jobs(instanceId: string): Promise<JobRun[]> {
    const rows: Array<{
      job_type: string;
      element_id: string;
      request: { headers?: Record<string, string> };
    }> = await this.inProcess('jobs').dataSource.query(
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

  private inProcess(what: string): TestApp {
    if (!this.app) throw new Error(`${what} needs the in-process app: use ReleaseDriver.forApp(t)`);
    return this.app;
  }

  private async formOf(task: TaskRef): Promise<FormJsSchema | null> {
    const key = `${task.formKey ?? ''}@${task.formVersion ?? ''}`;
    if (!this.forms.has(key)) {
      const detail = await this.taskDetail(
        task.id,
        this.tokens['project-manager'] ? 'project-manager' : 'admin',
      );
      this.forms.set(key, detail.form);
    }
    return this.forms.get(key)!;
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

// In-process helpers for the inbox and worker scenarios: users, tokens and what a refusal must leave alone.

/** The seeded users, one per role, named after it. */
export const USERS = TEST_ROLES;
export type SeededUser = (typeof TEST_ROLES)[number];

export type Method = 'get' | 'post' | 'patch';

/** A request with exactly the Authorization header given (none when undefined), for refusal matrices. */
export function send(
  t: TestApp,
  method: Method,
  url: string,
  authorization: string | undefined,
  body?: unknown,
): request.Test {
  let req = t.http()[method](url);
  if (authorization !== undefined) req = req.set('Authorization', authorization);
  return body === undefined ? req : req.send(body as object);
}

/** Create users beyond the seeded ones; their tokens join `t.tokens`, so `t.as(name)` works for them. */
export async function addUsers(t: TestApp, extra: Array<{ username: string; roles: Role[] }>): Promise<void> {
  const tokens = await seedUsers(t.get<UserService>(UserService), t.get<TokenService>(TokenService), extra);
  Object.assign(t.tokens, tokens);
}

export async function userId(t: TestApp, username: string): Promise<string> {
  const user = await t.get<UserService>(UserService).findByUsername(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

/** A token for the user that expired a minute ago, signed with the test secret. */
export function expiredToken(id: string, username: string): string {
  return jwt.sign({ username, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, {
    subject: id,
    algorithm: 'HS256',
  });
}

/** A token signed with the test secret, for any subject. */
export function signedToken(id: string, username: string): string {
  return jwt.sign({ username }, TEST_JWT_SECRET, { subject: id, expiresIn: 3600, algorithm: 'HS256' });
}

/** A well-formed, unexpired token signed with some other secret. */
export function foreignToken(id: string, username: string): string {
  return jwt.sign({ username }, 'another-secret-that-is-long-enough-for-hs256', {
    subject: id,
    expiresIn: 3600,
    algorithm: 'HS256',
  });
}

/** Everything about one task and its instance that a refused request must leave as it was. */
export async function taskSnapshot(t: TestApp, taskId: string) {
  const [row] = await t.dataSource.query(
    `SELECT status, assignee, claimed_at, output, completed_by, instance_id FROM user_task WHERE id = $1`,
    [taskId],
  );
  const [counts] = await t.dataSource.query(
    `SELECT (SELECT count(*) FROM history_event WHERE instance_id = $1)::int AS history,
            (SELECT revision FROM process_instance WHERE id = $1)::int AS revision,
            (SELECT variables FROM process_instance WHERE id = $1) AS variables,
            (SELECT count(*) FROM user_task WHERE instance_id = $1)::int AS tasks`,
    [row.instance_id],
  );
  return { task: row, ...counts };
}

/** Waits until no service-task job of the instance is pending, so its record holds still. */
export async function settle(t: TestApp, instanceId: string): Promise<void> {
  await eventually(
    async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND kind = 'service-task' AND status = 'pending'`,
        [instanceId],
      );
      return row.n === 0;
    },
    { what: `instance ${instanceId} to settle` },
  );
}

// In-process reads for the service-task scenarios: instance and job rows as the workers left them.

export async function instanceRow(t: TestApp, id: string): Promise<ProcessInstanceEntity> {
  return t.dataSource.getRepository(ProcessInstanceEntity).findOneByOrFail({ id });
}

export async function waitForInstanceEnd(t: TestApp, id: string): Promise<ProcessInstanceEntity> {
  return eventually(
    async () => {
      const row = await instanceRow(t, id);
      return row.status === 'completed' ? row : undefined;
    },
    { what: `instance ${id} to complete` },
  );
}

/** The job of an element of an instance, once it has reached `status`. */
export async function waitForJob(
  t: TestApp,
  instanceId: string,
  elementId: string,
  status: JobEntity['status'] = 'completed',
): Promise<JobEntity> {
  return eventually(
    async () => {
      const jobs = await t.dataSource
        .getRepository(JobEntity)
        .find({ where: { instanceId, elementId }, order: { createdAt: 'DESC' } });
      return jobs.find((j) => j.status === status);
    },
    { what: `job ${elementId} of ${instanceId} to be ${status}` },
  );
}

/** What a worker would hand the handler for a job. */
export async function contextOf(t: TestApp, job: JobEntity, attempt = 1): Promise<JobContext> {
  if (!job.instanceId) throw new Error(`job ${job.id} belongs to no instance (a timer start event's timer)`);
  const instance = await instanceRow(t, job.instanceId);
  return {
    jobId: job.id,
    jobType: job.jobType,
    instanceId: job.instanceId,
    businessKey: instance.businessKey,
    elementId: job.elementId,
    headers: job.headers,
    variables: instance.variables,
    attempt,
  };
}

/** The history events of an instance: type, element and data. */
export async function historyOf(
  t: TestApp,
  instanceId: string,
): Promise<Array<{ type: string; element_id: string | null; data: any }>> {
  return t.dataSource.query(
    'SELECT type, element_id, data FROM history_event WHERE instance_id = $1 ORDER BY id',
    [instanceId],
  );
}
