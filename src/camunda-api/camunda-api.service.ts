import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DecisionService, type DecisionOutcome } from '../definitions/decision.service.js';
import { DefinitionService, type DefinitionSortField } from '../definitions/definition.service.js';
import { DeploymentService } from '../definitions/deployment.service.js';
import type { UploadedFile } from '../definitions/index.js';
import { ExternalJobsService } from '../external-jobs/external-jobs.service.js';
import { hasRole, type AuthUser } from '../identity/auth.decorators.js';
import type { IncidentEntity } from '../instances/incident.entity.js';
import type {
  IncidentSortField,
  InstanceSortField,
  InstanceView,
  VariableSortField,
} from '../instances/instance-query.service.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { InstanceService, StaleIncidentError } from '../instances/instance.service.js';
import { ProcessInstanceService } from '../instances/process-instance.service.js';
import { MessageService } from '../messages/message.service.js';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
} from '../platform/errors.js';
import { SignalService } from '../signals/signal.service.js';
import { TaskQueryDto } from '../tasks/task.dto.js';
import { TaskService, type TaskSortField } from '../tasks/task.service.js';
import type { UserTaskEntity } from '../tasks/user-task.entity.js';
import { CamundaKeyRepository, type InstanceDefinition, type KeyKind } from './camunda-key.repository.js';
import * as schemas from './camunda-api.schemas.js';
import { DEFAULT_TENANT, pageOf, sortOf } from './camunda-api.schemas.js';

/** The version of Camunda's API this surface follows, as the topology reports it. */
export const CAMUNDA_VERSION = '8.8.0';
/** What Zeebe answers for a key that is not there. */
const NO_KEY = '-1';
/** Native lists serve pages of at most this many. */
const MAX_NATIVE_PAGE = 200;
/** A long poll without a request timeout waits this long (Camunda's gateway default), capped by configuration. */
const DEFAULT_ACTIVATION_WAIT_MS = 10_000;
/** What cancelling through this surface writes in the instance's history. */
const CANCEL_REASON = 'cancelled through the Camunda REST API';

type Input<S extends z.ZodType> = z.output<S>;

interface SearchResult<T> {
  readonly items: T[];
  readonly page: { readonly totalItems: number; readonly hasMoreTotalItems: boolean };
}

const INSTANCE_STATES = { running: 'ACTIVE', completed: 'COMPLETED', cancelled: 'TERMINATED' } as const;
const NATIVE_INSTANCE_STATES = {
  ACTIVE: 'running',
  COMPLETED: 'completed',
  TERMINATED: 'cancelled',
} as const;
/**
 * The sort fields of each search in Camunda's specification (REST API 8.8): what this service sorts each by, false
 * where every item has the same value, null where it does not store the field. Keys are handed out when a thing is
 * first seen, so they do not order the things they stand for.
 */
const INCIDENT_SORT: Record<string, IncidentSortField | null | false> = {
  incidentKey: null,
  processDefinitionKey: null,
  processDefinitionId: 'processKey',
  processInstanceKey: null,
  errorType: 'errorType',
  errorMessage: 'error',
  elementId: 'elementId',
  elementInstanceKey: null,
  creationTime: 'createdAt',
  state: 'state',
  jobKey: null,
  tenantId: false,
};
const INSTANCE_SORT: Record<string, InstanceSortField | null | false> = {
  processInstanceKey: null,
  processDefinitionId: 'processKey',
  processDefinitionName: 'processName',
  processDefinitionVersion: 'version',
  processDefinitionVersionTag: null,
  processDefinitionKey: null,
  parentProcessInstanceKey: null,
  parentElementInstanceKey: null,
  startDate: 'startedAt',
  endDate: 'endedAt',
  state: 'state',
  hasIncident: null,
  tenantId: false,
};
const USER_TASK_SORT: Record<string, TaskSortField | null | false> = {
  creationDate: 'createdAt',
  completionDate: 'completedAt',
  followUpDate: null,
  dueDate: 'dueAt',
  priority: 'priority',
  name: 'name',
};
const DEFINITION_SORT: Record<string, DefinitionSortField | null | false> = {
  processDefinitionKey: null,
  name: 'name',
  resourceName: 'resourceName',
  version: 'version',
  versionTag: null,
  processDefinitionId: 'key',
  tenantId: false,
};
const VARIABLE_SORT: Record<string, VariableSortField | null | false> = {
  value: 'value',
  name: 'name',
  tenantId: false,
  variableKey: null,
  // One search reads one instance's variables, which all live in its scope.
  scopeKey: false,
  processInstanceKey: false,
};
const TASK_STATES = { open: 'CREATED', completed: 'COMPLETED', cancelled: 'CANCELED' } as const;
const NATIVE_TASK_STATES = { CREATED: 'open', COMPLETED: 'completed', CANCELED: 'cancelled' } as const;

/**
 * The Camunda 8 REST API (Orchestration Cluster API, 8.8) over this service's own services: requests are
 * translated to the native calls (the same rules, roles and checks) and the answers to Camunda's shapes, with
 * int64 keys (CamundaKeyRepository) for the UUIDs.
 */
@Injectable()
export class CamundaApiService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CamundaKeyRepository) private readonly keys: CamundaKeyRepository,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(DecisionService) private readonly decisions: DecisionService,
    @Inject(DeploymentService) private readonly deployments: DeploymentService,
    @Inject(ProcessInstanceService) private readonly processInstances: ProcessInstanceService,
    @Inject(InstanceQueryService) private readonly instanceQueries: InstanceQueryService,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(TaskService) private readonly tasks: TaskService,
    @Inject(ExternalJobsService) private readonly jobs: ExternalJobsService,
    @Inject(MessageService) private readonly messages: MessageService,
    @Inject(SignalService) private readonly signals: SignalService,
  ) {}

  /** The id a key stands for; 404 naming the key when it stands for nothing of that kind. */
  private async resolve(kind: KeyKind, key: string, what: string): Promise<string> {
    const ref = await this.keys.refOf(kind, key);
    if (!ref) throw new NotFoundError(`${what} with key ${key} was not found`);
    return ref;
  }

  // ---- cluster ----------------------------------------------------------------------------------------------

  topology(host: string, port: number) {
    return {
      brokers: [
        {
          nodeId: 0,
          host,
          port,
          partitions: [{ partitionId: 1, role: 'leader', health: 'healthy' }],
          version: CAMUNDA_VERSION,
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: CAMUNDA_VERSION,
      lastCompletedChangeId: NO_KEY,
    };
  }

  me(user: AuthUser) {
    return {
      username: user.username,
      displayName: user.displayName,
      email: null,
      authorizedComponents: ['*'],
      tenants: [],
      groups: [],
      roles: [...user.roles],
      salesPlanType: '',
      c8Links: {},
      canLogout: false,
    };
  }

  // ---- deployments ------------------------------------------------------------------------------------------

  /**
   * BPMN, DMN and Camunda Forms in one transaction, by the same deployment the native API runs: all are deployed,
   * or none (400 naming the resource at fault).
   */
  async deploy(user: AuthUser, files: readonly UploadedFile[]) {
    if (files.length === 0) {
      throw new InvalidInputError('a deployment needs at least one resource', [
        { field: 'resources', message: 'is required' },
      ]);
    }
    for (const file of files) checkDeploymentField(file);
    const deployed = await this.deployments.deploy(
      files.map((file) => ({ name: file.filename, content: file.text })),
      user.username,
    );
    const deployments: unknown[] = [];
    for (const { resource, form } of deployed.forms) {
      deployments.push({
        form: {
          formId: form.formId,
          version: form.version,
          resourceName: resource,
          tenantId: DEFAULT_TENANT,
          formKey: await this.keys.keyOf('form', form.formId),
        },
      });
    }
    for (const { resource, requirements, decisions } of deployed.decisions) {
      const requirementsKey = await this.keys.keyOf(
        'decision-requirements',
        `${requirements.key}#${requirements.version}`,
      );
      deployments.push({
        decisionRequirements: {
          decisionRequirementsId: requirements.key,
          version: requirements.version,
          decisionRequirementsName: requirements.name,
          tenantId: DEFAULT_TENANT,
          resourceName: resource,
          decisionRequirementsKey: requirementsKey,
        },
      });
      for (const decision of decisions) {
        deployments.push({
          decisionDefinition: {
            decisionDefinitionId: decision.key,
            version: decision.version,
            name: decision.name,
            tenantId: DEFAULT_TENANT,
            decisionRequirementsId: requirements.key,
            decisionDefinitionKey: await this.keys.keyOf(
              'decision-definition',
              `${decision.key}#${decision.version}`,
            ),
            decisionRequirementsKey: requirementsKey,
          },
        });
      }
    }
    for (const { resource, definition } of deployed.processes) {
      deployments.push({
        processDefinition: {
          processDefinitionId: definition.key,
          processDefinitionVersion: definition.version,
          resourceName: resource,
          tenantId: DEFAULT_TENANT,
          processDefinitionKey: await this.keys.keyOf('process-definition', definition.id),
        },
      });
    }
    return { deploymentKey: await this.keys.freshKey(), tenantId: DEFAULT_TENANT, deployments };
  }

  // ---- process definitions ----------------------------------------------------------------------------------

  async searchProcessDefinitions(request: Input<typeof schemas.processDefinitionSearch>) {
    const filter = request.filter ?? {};
    const sort = sortOf(request, DEFINITION_SORT);
    const page = pageOf(request);
    let id: string | undefined;
    if (filter.processDefinitionKey !== undefined) {
      const ref = await this.keys.refOf('process-definition', filter.processDefinitionKey);
      if (!ref) return paged([], page);
      id = ref;
    }
    const found = await this.definitions.search(
      {
        id,
        key: filter.processDefinitionId,
        name: filter.name,
        version: filter.version,
        // Without a process id or key: the latest version of each process.
        latestOnly:
          id === undefined && (filter.processDefinitionId === undefined || filter.isLatestVersion === true),
      },
      sort,
      { offset: page.from, limit: page.limit },
    );
    const keys = await this.keys.keysOf(
      'process-definition',
      found.items.map((d) => d.id),
    );
    return {
      items: found.items.map((d) => ({
        name: d.name,
        resourceName: `${d.key}.bpmn`,
        version: d.version,
        processDefinitionId: d.key,
        tenantId: DEFAULT_TENANT,
        processDefinitionKey: keys.get(d.id)!,
        hasStartForm: false,
      })),
      page: { totalItems: found.total, hasMoreTotalItems: false },
    };
  }

  async processDefinitionXml(key: string): Promise<string> {
    const id = await this.resolve('process-definition', key, 'process definition');
    return (await this.definitions.byId(id)).xml;
  }

  // ---- process instances ------------------------------------------------------------------------------------

  async createProcessInstance(user: AuthUser, request: Input<typeof schemas.createProcessInstance>) {
    if (request.awaitCompletion) {
      throw new NotImplementedError('awaitCompletion is not supported: start the instance, then poll it');
    }
    let processId = request.processDefinitionId;
    let version =
      request.processDefinitionVersion === undefined || request.processDefinitionVersion === -1
        ? undefined
        : request.processDefinitionVersion;
    if (request.processDefinitionKey !== undefined) {
      if (processId !== undefined) {
        throw new InvalidInputError('give processDefinitionId or processDefinitionKey, not both', [
          {
            field: 'processDefinitionKey',
            message: 'only one of processDefinitionId and processDefinitionKey',
          },
        ]);
      }
      const definition = await this.definitions.byId(
        await this.resolve('process-definition', request.processDefinitionKey, 'process definition'),
      );
      processId = definition.key;
      version = definition.version;
    }
    if (processId === undefined) {
      throw new InvalidInputError('name the process: processDefinitionId or processDefinitionKey', [
        { field: 'processDefinitionId', message: 'is required' },
      ]);
    }
    const view = await this.processInstances.start(user, {
      processId,
      version,
      variables: request.variables ?? {},
    });
    const [definition, instanceKey] = await Promise.all([
      this.definitionOf(view.id),
      this.keys.keyOf('process-instance', view.id),
    ]);
    const fetch = request.fetchVariables;
    return {
      processDefinitionId: view.processKey,
      processDefinitionVersion: view.version,
      tenantId: DEFAULT_TENANT,
      variables: fetch
        ? Object.fromEntries(Object.entries(view.variables).filter(([name]) => fetch.includes(name)))
        : {},
      processDefinitionKey: await this.keys.keyOf('process-definition', definition.definitionId),
      processInstanceKey: instanceKey,
    };
  }

  async getProcessInstance(key: string) {
    const id = await this.resolve('process-instance', key, 'process instance');
    return this.instanceResult(await this.instanceQueries.view(id), key);
  }

  async searchProcessInstances(request: Input<typeof schemas.processInstanceSearch>) {
    const filter = request.filter ?? {};
    const page = pageOf(request);
    const sort = sortOf(request, INSTANCE_SORT);
    if (filter.processInstanceKey !== undefined) {
      const id = await this.keys.refOf('process-instance', filter.processInstanceKey);
      const view = id ? await this.instanceQueries.view(id) : undefined;
      const item = view ? await this.instanceResult(view, filter.processInstanceKey) : undefined;
      const matches =
        item &&
        (filter.processDefinitionId === undefined ||
          item.processDefinitionId === filter.processDefinitionId) &&
        (filter.state === undefined || item.state === filter.state);
      return paged(matches ? [item] : [], page);
    }
    let processId = filter.processDefinitionId;
    let version = filter.processDefinitionVersion;
    if (filter.processDefinitionKey !== undefined) {
      const definitionId = await this.keys.refOf('process-definition', filter.processDefinitionKey);
      if (!definitionId) return paged([], page);
      const definition = await this.definitions.byId(definitionId);
      if (processId !== undefined && processId !== definition.key) return paged([], page);
      processId = definition.key;
      version = definition.version;
    }
    const found = await offsetWindow(page, (number, pageSize) =>
      this.processInstances.search(
        {
          processId,
          version,
          state: filter.state ? NATIVE_INSTANCE_STATES[filter.state] : undefined,
          sort: '-startedAt',
          page: number,
          pageSize,
        },
        sort,
      ),
    );
    const ids = found.items.map((i) => i.id);
    const [keys, definitions, withIncident] = await Promise.all([
      this.keys.keysOf('process-instance', ids),
      this.keys.instanceDefinitions(ids),
      this.instanceQueries.withOpenIncidents(ids),
    ]);
    const definitionKeys = await this.keys.keysOf(
      'process-definition',
      [...definitions.values()].map((d) => d.definitionId),
    );
    const items = found.items.map((i) => {
      const definition = definitions.get(i.id)!;
      return {
        processDefinitionId: i.processId,
        processDefinitionName: definition.name,
        processDefinitionVersion: i.version,
        startDate: i.startedAt.toISOString(),
        ...(i.endedAt ? { endDate: i.endedAt.toISOString() } : {}),
        state: INSTANCE_STATES[i.state as keyof typeof INSTANCE_STATES] ?? 'ACTIVE',
        hasIncident: withIncident.has(i.id),
        tenantId: DEFAULT_TENANT,
        processInstanceKey: keys.get(i.id)!,
        processDefinitionKey: definitionKeys.get(definition.definitionId)!,
      };
    });
    return { items, page: { totalItems: found.total, hasMoreTotalItems: false } };
  }

  async cancelProcessInstance(user: AuthUser, key: string): Promise<void> {
    const id = await this.resolve('process-instance', key, 'process instance');
    await this.processInstances.cancel(user, id, CANCEL_REASON);
  }

  private async instanceResult(view: InstanceView, key: string) {
    const definition = await this.definitionOf(view.id);
    return {
      processDefinitionId: view.processKey,
      processDefinitionName: definition.name,
      processDefinitionVersion: view.version,
      startDate: view.startedAt.toISOString(),
      ...(view.endedAt ? { endDate: view.endedAt.toISOString() } : {}),
      state: INSTANCE_STATES[view.status as keyof typeof INSTANCE_STATES] ?? 'ACTIVE',
      // As in Camunda 8, an incident in an instance a call activity started (at any depth) marks the parent too.
      hasIncident: view.incidents.some((i) => i.status === 'open') || view.childIncidents.length > 0,
      tenantId: DEFAULT_TENANT,
      processInstanceKey: key,
      processDefinitionKey: await this.keys.keyOf('process-definition', definition.definitionId),
    };
  }

  private async definitionOf(instanceId: string): Promise<InstanceDefinition> {
    const definition = (await this.keys.instanceDefinitions([instanceId])).get(instanceId);
    if (!definition) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    return definition;
  }

  // ---- user tasks -------------------------------------------------------------------------------------------

  async searchUserTasks(user: AuthUser, request: Input<typeof schemas.userTaskSearch>) {
    const filter = request.filter ?? {};
    const page = pageOf(request);
    const sort = sortOf(request, USER_TASK_SORT);
    if (filter.userTaskKey !== undefined) {
      const id = await this.keys.refOf('user-task', filter.userTaskKey);
      const task = id ? await this.tasks.get(user, id).catch(() => undefined) : undefined;
      return paged(task ? await this.taskResults([task]) : [], page);
    }
    let instanceId: string | undefined;
    if (filter.processInstanceKey !== undefined) {
      const id = await this.keys.refOf('process-instance', filter.processInstanceKey);
      if (!id) return paged([], page);
      instanceId = id;
    }
    const found = await offsetWindow(page, (number, pageSize) =>
      this.tasks.list(
        user,
        Object.assign(new TaskQueryDto(), {
          status: filter.state ? NATIVE_TASK_STATES[filter.state] : 'open',
          instanceId,
          elementId: filter.elementId,
          processKey: filter.processDefinitionId,
          candidateGroup: filter.candidateGroup,
          assignee: filter.assignee,
          page: number,
          pageSize,
        }),
        sort,
      ),
    );
    const items = await this.taskResults(found.items);
    return { items, page: { totalItems: found.total, hasMoreTotalItems: false } };
  }

  async getUserTask(user: AuthUser, key: string) {
    const task = await this.tasks.get(user, await this.resolve('user-task', key, 'user task'));
    return (await this.taskResults([task]))[0]!;
  }

  /** The task's form, or undefined (204) when it has none. */
  async userTaskForm(user: AuthUser, key: string) {
    const task = await this.tasks.get(user, await this.resolve('user-task', key, 'user task'));
    if (!task.formKey || !task.form) return undefined;
    return {
      tenantId: DEFAULT_TENANT,
      formId: task.formKey,
      schema: task.form,
      version: 1,
      formKey: await this.keys.keyOf('form', task.formKey),
    };
  }

  /**
   * Assign: oneself, as a claim (a candidate group's member, not over another's claim unless `allowOverride` and
   * a coordinator); someone else, as the native assignment (project managers and administrators).
   */
  async assignUserTask(user: AuthUser, key: string, request: Input<typeof schemas.assignUserTask>) {
    const id = await this.resolve('user-task', key, 'user task');
    if (request.assignee === user.username && !request.allowOverride) {
      await this.tasks.claim(user, id);
      return;
    }
    if (!hasRole(user, 'project-manager', 'admin')) {
      throw new ForbiddenError(
        request.assignee === user.username
          ? 'only project managers and administrators may take over a task claimed by another (allowOverride)'
          : 'only project managers and administrators may assign a task to someone else: assign it to yourself to claim it',
      );
    }
    if (request.allowOverride === false) {
      const task = await this.tasks.get(user, id);
      if (task.assignee && task.assignee !== request.assignee) {
        throw new ConflictError(`task ${key} is assigned to ${task.assignee} (allowOverride is false)`);
      }
    }
    await this.tasks.assign(user, id, request.assignee);
  }

  async unassignUserTask(user: AuthUser, key: string): Promise<void> {
    await this.tasks.unclaim(user, await this.resolve('user-task', key, 'user task'));
  }

  async completeUserTask(user: AuthUser, key: string, request: Input<typeof schemas.completeUserTask>) {
    const id = await this.resolve('user-task', key, 'user task');
    await this.tasks.complete(user, id, request?.variables ?? {});
  }

  private async taskResults(tasks: readonly UserTaskEntity[]) {
    const [keys, instanceKeys, definitions, formKeys] = await Promise.all([
      this.keys.keysOf(
        'user-task',
        tasks.map((t) => t.id),
      ),
      this.keys.keysOf(
        'process-instance',
        tasks.map((t) => t.instanceId),
      ),
      this.keys.instanceDefinitions(tasks.map((t) => t.instanceId)),
      this.keys.keysOf(
        'form',
        tasks.flatMap((t) => (t.formKey ? [t.formKey] : [])),
      ),
    ]);
    const elementKeys = await this.keys.keysOf(
      'element-instance',
      tasks.map((t) => `${t.instanceId}/${t.executionId}`),
    );
    const definitionKeys = await this.keys.keysOf(
      'process-definition',
      [...definitions.values()].map((d) => d.definitionId),
    );
    return tasks.map((t) => {
      const definition = definitions.get(t.instanceId);
      return {
        name: t.name ?? t.elementId,
        state: TASK_STATES[t.status],
        ...(t.assignee ? { assignee: t.assignee } : {}),
        elementId: t.elementId,
        candidateGroups: t.candidateGroups,
        candidateUsers: [],
        processDefinitionId: t.processKey,
        creationDate: t.createdAt.toISOString(),
        ...(t.completedAt ? { completionDate: t.completedAt.toISOString() } : {}),
        ...(t.dueAt ? { dueDate: t.dueAt.toISOString() } : {}),
        tenantId: DEFAULT_TENANT,
        processDefinitionVersion: definition?.version,
        customHeaders: {},
        priority: t.priority,
        userTaskKey: keys.get(t.id)!,
        elementInstanceKey: elementKeys.get(`${t.instanceId}/${t.executionId}`)!,
        processName: definition?.name,
        processDefinitionKey: definition ? definitionKeys.get(definition.definitionId) : undefined,
        processInstanceKey: instanceKeys.get(t.instanceId)!,
        ...(t.formKey ? { formKey: formKeys.get(t.formKey) } : {}),
      };
    });
  }

  // ---- jobs -------------------------------------------------------------------------------------------------

  async activateJobs(request: Input<typeof schemas.activateJobs>) {
    const worker = request.worker ?? 'default';
    const requestTimeout = request.requestTimeout ?? 0;
    const activated = await this.jobs.activate({
      type: request.type,
      worker,
      timeoutMs: request.timeout,
      maxJobs: request.maxJobsToActivate,
      fetchVariables: request.fetchVariable,
      // Camunda: 0 waits the gateway's default, a negative timeout answers at once.
      requestTimeoutMs:
        requestTimeout < 0
          ? 0
          : Math.min(
              requestTimeout === 0 ? DEFAULT_ACTIVATION_WAIT_MS : requestTimeout,
              this.config.jobActivation.maxWaitMs,
            ),
    });
    const instanceIds = activated.map((j) => j.processInstanceKey);
    const [jobKeys, instanceKeys, definitions, elementKeys] = await Promise.all([
      this.keys.keysOf(
        'job',
        activated.map((j) => j.key),
      ),
      this.keys.keysOf('process-instance', instanceIds),
      this.keys.instanceDefinitions(instanceIds),
      this.keys.keysOf(
        'element-instance',
        activated.map((j) => `${j.processInstanceKey}/job:${j.key}`),
      ),
    ]);
    const definitionKeys = await this.keys.keysOf(
      'process-definition',
      [...definitions.values()].map((d) => d.definitionId),
    );
    return {
      jobs: activated.map((job) => {
        const definition = definitions.get(job.processInstanceKey)!;
        return {
          type: job.type,
          processDefinitionId: definition.processId,
          processDefinitionVersion: definition.version,
          elementId: job.elementId,
          customHeaders: job.customHeaders,
          worker,
          retries: job.retries,
          deadline: Date.parse(job.deadline),
          variables: job.variables,
          tenantId: DEFAULT_TENANT,
          jobKey: jobKeys.get(job.key)!,
          processInstanceKey: instanceKeys.get(job.processInstanceKey)!,
          processDefinitionKey: definitionKeys.get(definition.definitionId)!,
          elementInstanceKey: elementKeys.get(`${job.processInstanceKey}/job:${job.key}`)!,
          kind: 'BPMN_ELEMENT',
          listenerEventType: 'UNSPECIFIED',
        };
      }),
    };
  }

  async completeJob(key: string, request: Input<typeof schemas.completeJob>): Promise<void> {
    if (request?.result !== undefined && request.result !== null) {
      throw new NotImplementedError('a job result (for user task listeners) is not supported');
    }
    await this.jobs.complete(await this.resolve('job', key, 'job'), request?.variables ?? {});
  }

  async failJob(key: string, request: Input<typeof schemas.failJob>): Promise<void> {
    if (request?.variables && Object.keys(request.variables).length > 0) {
      throw new NotImplementedError('variables on a job failure are not supported');
    }
    await this.jobs.fail(await this.resolve('job', key, 'job'), {
      retries: request?.retries ?? 0,
      errorMessage: request?.errorMessage ?? '',
      retryBackOffMs: request?.retryBackOff,
    });
  }

  async throwJobError(key: string, request: Input<typeof schemas.throwJobError>): Promise<void> {
    await this.jobs.throwError(await this.resolve('job', key, 'job'), {
      errorCode: request.errorCode,
      errorMessage: request.errorMessage ?? undefined,
      variables: request.variables ?? undefined,
    });
  }

  /**
   * Retries of a pending job. A job whose retries ran out is an incident: its new retries take effect when the
   * incident is resolved (which activates the job again), so the change is accepted and nothing else happens.
   */
  async updateJob(key: string, request: Input<typeof schemas.updateJob>): Promise<void> {
    const { retries, timeout } = request.changeset;
    if (timeout !== undefined && timeout !== null) {
      throw new NotImplementedError('changing a job timeout is not supported: only changeset.retries');
    }
    const id = await this.resolve('job', key, 'job');
    if (retries === undefined || retries === null) return;
    try {
      await this.jobs.updateRetries(id, retries);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const { total } = await this.instanceQueries.searchIncidents(
        { state: 'open', jobId: id },
        { offset: 0, limit: 1 },
      );
      if (total === 0 || retries < 1) throw err;
    }
  }

  // ---- messages and signals ---------------------------------------------------------------------------------

  async publishMessage(request: Input<typeof schemas.publishMessage>) {
    const published = await this.messages.publish({
      name: request.name,
      correlationKey: request.correlationKey ?? '',
      timeToLiveMs: request.timeToLive ?? 0,
      messageId: request.messageId ?? null,
      variables: request.variables ?? {},
    });
    return { tenantId: DEFAULT_TENANT, messageKey: await this.keys.keyOf('message', published.messageKey) };
  }

  async correlateMessage(request: Input<typeof schemas.correlateMessage>) {
    const correlated = await this.messages.correlate({
      name: request.name,
      correlationKey: request.correlationKey ?? '',
      variables: request.variables ?? {},
    });
    return {
      tenantId: DEFAULT_TENANT,
      messageKey: await this.keys.keyOf('message', correlated.messageKey),
      processInstanceKey: await this.keys.keyOf('process-instance', correlated.correlatedTo.instanceId),
    };
  }

  async broadcastSignal(request: Input<typeof schemas.broadcastSignal>) {
    await this.signals.broadcast(request.signalName, request.variables ?? {});
    return { tenantId: DEFAULT_TENANT, signalKey: await this.keys.freshKey() };
  }

  // ---- incidents --------------------------------------------------------------------------------------------

  async searchIncidents(request: Input<typeof schemas.incidentSearch>) {
    const filter = request.filter ?? {};
    const sort = sortOf(request, INCIDENT_SORT);
    const [instanceId, jobId, incidentId] = await Promise.all([
      filter.processInstanceKey !== undefined
        ? this.keys.refOf('process-instance', filter.processInstanceKey)
        : undefined,
      filter.jobKey !== undefined ? this.keys.refOf('job', filter.jobKey) : undefined,
      filter.incidentKey !== undefined ? this.keys.refOf('incident', filter.incidentKey) : undefined,
    ]);
    if (instanceId === null || jobId === null || incidentId === null) return paged([], pageOf(request));
    const state =
      filter.state === 'ACTIVE'
        ? 'open'
        : filter.state === 'RESOLVED'
          ? 'resolved'
          : filter.state
            ? 'none'
            : undefined;
    if (state === 'none') return paged([], pageOf(request));
    const page = pageOf(request);
    const found = await this.instanceQueries.searchIncidents(
      {
        state: state as 'open' | 'resolved' | undefined,
        instanceId,
        jobId,
        incidentId,
        processKey: filter.processDefinitionId,
      },
      { offset: page.from, limit: page.limit },
      sort,
    );
    return {
      items: await this.incidentResults(found.items),
      page: { totalItems: found.total, hasMoreTotalItems: false },
    };
  }

  /**
   * Resolving an incident of a job without retries activates the job again (the native retry); resolving a
   * gateway's evaluates the gateway again, on the variables as they are now. A stale incident (already resolved, or
   * its element left) is not found, as in Camunda 8, where the engine no longer holds it.
   */
  async resolveIncident(user: AuthUser, key: string): Promise<void> {
    const incidentId = await this.resolve('incident', key, 'incident');
    try {
      await this.instances.retryIncident(incidentId, user.username);
    } catch (err) {
      if (err instanceof StaleIncidentError)
        throw new NotFoundError(`incident with key ${key} was not found: ${err.message}`);
      throw err;
    }
  }

  private async incidentResults(incidents: readonly IncidentEntity[]) {
    const instanceIds = incidents.map((i) => i.instanceId);
    const [keys, instanceKeys, jobKeys, definitions, elementKeys] = await Promise.all([
      this.keys.keysOf(
        'incident',
        incidents.map((i) => i.id),
      ),
      this.keys.keysOf('process-instance', instanceIds),
      this.keys.keysOf(
        'job',
        incidents.map((i) => i.jobId).filter((id): id is string => id !== null),
      ),
      this.keys.instanceDefinitions(instanceIds),
      this.keys.keysOf('element-instance', incidents.map(elementInstanceOf)),
    ]);
    const definitionKeys = await this.keys.keysOf(
      'process-definition',
      [...definitions.values()].map((d) => d.definitionId),
    );
    return incidents.map((i) => {
      const definition = definitions.get(i.instanceId);
      return {
        processDefinitionId: definition?.processId,
        errorType: i.errorType,
        errorMessage: i.error,
        elementId: i.elementId,
        creationTime: i.createdAt.toISOString(),
        state: i.status === 'open' ? 'ACTIVE' : 'RESOLVED',
        tenantId: DEFAULT_TENANT,
        incidentKey: keys.get(i.id)!,
        processDefinitionKey: definition ? definitionKeys.get(definition.definitionId) : undefined,
        processInstanceKey: instanceKeys.get(i.instanceId)!,
        elementInstanceKey: elementKeys.get(elementInstanceOf(i))!,
        ...(i.jobId !== null ? { jobKey: jobKeys.get(i.jobId)! } : {}),
      };
    });
  }

  // ---- variables --------------------------------------------------------------------------------------------

  /** The variables of one process instance (they all live in its scope). */
  async searchVariables(request: Input<typeof schemas.variableSearch>) {
    const filter = request.filter ?? {};
    const sort = sortOf(request, VARIABLE_SORT);
    let name = filter.name;
    let instanceKey = filter.processInstanceKey ?? filter.scopeKey;
    if (filter.variableKey !== undefined) {
      const ref = await this.keys.refOf('variable', filter.variableKey);
      if (!ref) return paged([], pageOf(request));
      const [instanceId, variableName] = splitOnce(ref, '/');
      if (name !== undefined && name !== variableName) return paged([], pageOf(request));
      name = variableName;
      const key = await this.keys.keyOf('process-instance', instanceId);
      if (instanceKey !== undefined && instanceKey !== key) return paged([], pageOf(request));
      instanceKey = key;
    }
    if (instanceKey === undefined) {
      throw new NotImplementedError(
        'variables are searched per process instance: give filter.processInstanceKey (or scopeKey, variableKey)',
      );
    }
    const instanceId = await this.keys.refOf('process-instance', instanceKey);
    if (!instanceId) return paged([], pageOf(request));
    const page = pageOf(request);
    const found = await this.instanceQueries.searchVariables(instanceId, name, sort, {
      offset: page.from,
      limit: page.limit,
    });
    const keys = await this.keys.keysOf(
      'variable',
      found.items.map((v) => `${instanceId}/${v.name}`),
    );
    return {
      items: found.items.map((v) => ({
        name: v.name,
        value: JSON.stringify(v.value),
        tenantId: DEFAULT_TENANT,
        isTruncated: false,
        variableKey: keys.get(`${instanceId}/${v.name}`)!,
        scopeKey: instanceKey,
        processInstanceKey: instanceKey,
      })),
      page: { totalItems: found.total, hasMoreTotalItems: false },
    };
  }

  // ---- decisions --------------------------------------------------------------------------------------------

  /** The latest version of a decision (by id, or by the key of its latest version), evaluated with the variables. */
  async evaluateDecision(request: Input<typeof schemas.evaluateDecision>) {
    let decisionId = request.decisionDefinitionId;
    let version: number | undefined;
    if (request.decisionDefinitionKey !== undefined) {
      if (decisionId !== undefined) {
        throw new InvalidInputError('give decisionDefinitionId or decisionDefinitionKey, not both', [
          {
            field: 'decisionDefinitionKey',
            message: 'only one of decisionDefinitionId and decisionDefinitionKey',
          },
        ]);
      }
      const ref = await this.resolve(
        'decision-definition',
        request.decisionDefinitionKey,
        'decision definition',
      );
      const [id, v] = splitOnce(ref, '#');
      decisionId = id;
      version = Number(v);
    }
    if (decisionId === undefined) {
      throw new InvalidInputError('name the decision: decisionDefinitionId or decisionDefinitionKey', [
        { field: 'decisionDefinitionId', message: 'is required' },
      ]);
    }
    const outcome: DecisionOutcome = await this.decisions.tryLatest(decisionId, request.variables ?? {});
    if (version !== undefined && outcome.version !== version) {
      throw new NotImplementedError(
        `only the latest version of a decision is evaluated: ${decisionId} is at version ${outcome.version}, the key names version ${version}`,
      );
    }
    const definitionKey = await this.keys.keyOf(
      'decision-definition',
      `${outcome.decisionId}#${outcome.version}`,
    );
    return {
      decisionDefinitionId: outcome.decisionId,
      decisionDefinitionName: outcome.decisionName,
      decisionDefinitionVersion: outcome.version,
      decisionRequirementsId: '',
      output: JSON.stringify(outcome.output ?? null),
      failedDecisionDefinitionId: '',
      failureMessage: '',
      tenantId: DEFAULT_TENANT,
      decisionDefinitionKey: definitionKey,
      decisionRequirementsKey: NO_KEY,
      decisionEvaluationKey: await this.keys.freshKey(),
      evaluatedDecisions: outcome.evaluated.map((d) => ({
        decisionDefinitionId: d.decisionId,
        decisionDefinitionName: d.decisionName,
        decisionDefinitionType:
          d.matchedRules.length > 0 || Object.keys(d.inputs).length > 0
            ? 'DECISION_TABLE'
            : 'LITERAL_EXPRESSION',
        output: JSON.stringify(d.output ?? null),
        tenantId: DEFAULT_TENANT,
        matchedRules: d.matchedRules.map((ruleId, ruleIndex) => ({
          ruleId,
          ruleIndex: ruleIndex + 1,
          evaluatedOutputs: [],
        })),
        evaluatedInputs: Object.entries(d.inputs).map(([inputName, value]) => ({
          inputId: inputName,
          inputName,
          inputValue: JSON.stringify(value ?? null),
        })),
      })),
    };
  }
}

/** A page of an in-memory list, in Camunda's result shape. */
function paged<T>(items: readonly T[], page: { from: number; limit: number }): SearchResult<T> {
  return {
    items: items.slice(page.from, page.from + page.limit),
    page: { totalItems: items.length, hasMoreTotalItems: false },
  };
}

/**
 * The window `[from, from + limit)` of a list the native services serve in numbered pages (/v2 pages by offset): an
 * offset between page boundaries reads the next page too. At most MAX_NATIVE_PAGE items a request.
 */
async function offsetWindow<T>(
  page: { from: number; limit: number },
  pageOf: (number: number, pageSize: number) => Promise<{ items: T[]; total: number }>,
): Promise<{ items: T[]; total: number }> {
  const pageSize = Math.min(page.limit, MAX_NATIVE_PAGE);
  const number = Math.floor(page.from / pageSize) + 1;
  const skip = page.from % pageSize;
  const first = await pageOf(number, pageSize);
  const items = first.items.slice(skip);
  if (skip > 0 && first.items.length === pageSize) items.push(...(await pageOf(number + 1, pageSize)).items);
  return { items: items.slice(0, pageSize), total: first.total };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.lastIndexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** A deployment's files come in the "resources" field; anything else is a mistake worth naming. */
function checkDeploymentField(file: UploadedFile): void {
  if (file.field !== 'resources') {
    throw new InvalidInputError(
      `the multipart field "${file.field}" is not a deployment field: send files as "resources"`,
      [{ field: file.field, message: 'is not a field of this request' }],
    );
  }
}

/** The element instance an incident is at: its job's, or (a gateway's) the waiting execution's. */
function elementInstanceOf(incident: IncidentEntity): string {
  return incident.jobId !== null
    ? `${incident.instanceId}/job:${incident.jobId}`
    : `${incident.instanceId}/${incident.executionId}`;
}
