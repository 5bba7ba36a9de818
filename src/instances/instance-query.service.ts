import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../platform/errors.js';
import type { HistoryEventEntity } from './history-event.entity.js';
import type { OpenTaskReader, UserTaskSummary } from './instance.events.js';
import type { IncidentEntity, IncidentStatus } from './incident.entity.js';
import {
  InstanceQueryRepository,
  type IncidentFilter,
  type IncidentSortField,
  type InstanceSortField,
  type VariableSortField,
} from './instance-query.repository.js';
import { InstanceRepository, type IncidentCount, type InstanceCount } from './instance.repository.js';
import type { PageRequest } from '../platform/database/paginate.js';
import type { SortKey } from '../platform/database/sort.js';
import type { Page } from '../platform/http/page-query.dto.js';
import type { ProcessInstanceQueryDto, ProcessInstanceSummary } from './process-instance.dto.js';
import type { ProcessInstanceEntity, StoredWait } from './process-instance.entity.js';
import type { JobEntity } from '../queue/job.entity.js';

export type { IncidentSortField, InstanceSortField, VariableSortField } from './instance-query.repository.js';

export interface ActiveActivity {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: StoredWait['kind'];
  readonly name: string | null;
  readonly since: Date;
  readonly dueAt?: Date | null;
  readonly jobType?: string;
}

export interface InstanceView {
  readonly id: string;
  readonly processKey: string;
  readonly version: number;
  readonly businessKey: string | null;
  readonly status: string;
  readonly endStatus: string | null;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  readonly variables: Record<string, unknown>;
  readonly activeActivities: ActiveActivity[];
  readonly completedActivities: string[];
  readonly takenFlows: string[];
  readonly openTasks: readonly UserTaskSummary[];
  readonly incidents: IncidentEntity[];
  /**
   * Open incidents of the instances its call activities started (and theirs): each names the child instance
   * (`instanceId`) and the call activity it happened under (`callElementId`, `callExecutionId`).
   */
  readonly childIncidents: ChildIncident[];
  readonly history: HistoryEventEntity[];
}

/** What a release's page shows of its instance (see InstanceQueryService.activity). */
export type InstanceActivity = Pick<
  InstanceView,
  'processKey' | 'version' | 'activeActivities' | 'openTasks' | 'incidents'
>;

/** An incident in the operators' list: for a called instance's, the instance that called it and the call activity. */
export type ListedIncident = IncidentEntity & {
  readonly parentInstanceId: string | null;
  readonly callElementId: string | null;
};

export type ChildIncident = IncidentEntity & {
  readonly callElementId: string | null;
  readonly callExecutionId: string;
};

/** Definition versions the instance view keeps in mind (a few dozen in practice; the map restarts past it). */
const KNOWN_VERSIONS = 10_000;

/** Read side of instances: what operators and the instance view see. */
@Injectable()
export class InstanceQueryService {
  private readonly taskReaders: OpenTaskReader[] = [];
  /** Definition id → its version number: fixed once a version is stored, so read once per process. */
  private readonly versions = new Map<string, number>();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstanceRepository) private readonly repository: InstanceRepository,
    @Inject(InstanceQueryRepository) private readonly queries: InstanceQueryRepository,
  ) {}

  /** The owner of the task rows registers here, so the view shows the open tasks. */
  addTaskReader(reader: OpenTaskReader): void {
    this.taskReaders.push(reader);
  }

  /** The definition version an instance runs on; null for an unknown instance. */
  async definitionIdOf(instanceId: string): Promise<string | null> {
    return (await this.queries.findInstance(instanceId))?.definitionId ?? null;
  }

  /** The version number of a definition version (see `versions`). */
  private async definitionVersion(definitionId: string): Promise<number> {
    const known = this.versions.get(definitionId);
    if (known !== undefined) return known;
    const version = await this.queries.definitionVersion(definitionId);
    if (this.versions.size >= KNOWN_VERSIONS) this.versions.clear();
    this.versions.set(definitionId, version);
    return version;
  }

  async view(instanceId: string): Promise<InstanceView> {
    const instance = await this.queries.findInstance(instanceId);
    if (!instance) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    const [version, openTasks, pendingJobs, incidents, history, called] = await Promise.all([
      this.definitionVersion(instance.definitionId),
      this.openTasks(instanceId),
      this.queries.pendingJobs(instanceId),
      this.queries.incidentsOf(instanceId),
      this.history(instanceId),
      this.queries.openIncidentsOfCalled(instanceId),
    ]);
    const callElements = new Map((instance.waits ?? []).map((w) => [w.executionId, w.elementId]));
    const childIncidents: ChildIncident[] = called.map((incident) =>
      Object.assign(incident, { callElementId: callElements.get(incident.callExecutionId) ?? null }),
    );
    const names = new Map(history.filter((h) => h.elementId).map((h) => [h.elementId!, h.elementName]));
    const activeActivities = await this.activeActivities(
      instance,
      openTasks,
      pendingJobs,
      incidents,
      async (_, executionIds) => {
        const lastAt = new Map<string, Date>();
        for (const executionId of executionIds) {
          const at = history.findLast((h) => h.executionId === executionId)?.createdAt;
          if (at) lastAt.set(executionId, at);
        }
        return { names, lastAt };
      },
    );
    return {
      id: instance.id,
      processKey: instance.processKey,
      version,
      businessKey: instance.businessKey,
      status: instance.status,
      endStatus: instance.endStatus,
      startedAt: instance.startedAt,
      endedAt: instance.endedAt,
      variables: instance.variables,
      activeActivities,
      completedActivities: [
        ...new Set(history.filter((h) => h.type === 'activity.end').map((h) => h.elementId!)),
      ],
      takenFlows: [...new Set(history.filter((h) => h.type === 'flow.take').map((h) => h.elementId!))],
      openTasks,
      incidents,
      childIncidents,
      history,
    };
  }

  /**
   * What an instance is at now, as its view shows it, without its history, variables and called instances: what a
   * release's page shows beside the record (and its clients poll). The history is asked only for the names and times
   * the current steps take from it.
   */
  async activity(instanceId: string): Promise<InstanceActivity> {
    const instance = await this.queries.findInstance(instanceId);
    if (!instance) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    const [version, openTasks, pendingJobs, incidents] = await Promise.all([
      this.definitionVersion(instance.definitionId),
      this.openTasks(instanceId),
      this.queries.pendingJobs(instanceId),
      this.queries.incidentsOf(instanceId),
    ]);
    const activeActivities = await this.activeActivities(
      instance,
      openTasks,
      pendingJobs,
      incidents,
      (elementIds, executionIds) => this.queries.historyFacts(instanceId, elementIds, executionIds),
    );
    return { processKey: instance.processKey, version, activeActivities, openTasks, incidents };
  }

  /**
   * The activities an instance is in: its open tasks, the jobs and timers it waits for, the failed jobs of its open
   * incidents (they still hold their activity), and the waits none of those stands for. `history` tells the names of
   * the elements (the latest event's) and when each execution's latest event was written.
   */
  private async activeActivities(
    instance: ProcessInstanceEntity,
    openTasks: readonly UserTaskSummary[],
    pendingJobs: readonly JobEntity[],
    incidents: readonly IncidentEntity[],
    history: (
      elementIds: readonly string[],
      executionIds: readonly string[],
    ) => Promise<{ names: ReadonlyMap<string, string | null>; lastAt: ReadonlyMap<string, Date> }>,
  ): Promise<ActiveActivity[]> {
    // Failed jobs (incidents) still hold their activity.
    const openIncidents = incidents.filter((i) => i.status === 'open');
    const failedJobs = new Map(
      (
        await this.queries.jobsByIds(
          openIncidents.map((i) => i.jobId).filter((id): id is string => id !== null),
        )
      ).map((j) => [j.id, j]),
    );
    const failed = openIncidents.flatMap((incident) => {
      const job = incident.jobId !== null ? failedJobs.get(incident.jobId) : undefined;
      return job ? [job] : [];
    });
    // Waits no task or job stands for: receive tasks, message and signal events, sub-processes, event gateways, and
    // tasks whose completion waits on an incident (its output mappings failed: the task or job itself is done).
    const shown = new Set([
      ...openTasks.map((t) => t.executionId),
      ...pendingJobs.map((j) => j.executionId),
      ...failed.map((j) => j.executionId),
    ]);
    const atIncident = new Set(openIncidents.map((i) => (i.jobId === null ? i.executionId : null)));
    const waits = (instance.waits ?? []).filter(
      (wait) =>
        !shown.has(wait.executionId) &&
        (atIncident.has(wait.executionId) || (wait.jobId === undefined && wait.kind !== 'user-task')),
    );
    const { names, lastAt } = await history(
      [...pendingJobs, ...failed, ...waits].map((x) => x.elementId),
      waits.map((w) => w.executionId),
    );
    return [
      ...openTasks.map((t) => ({
        elementId: t.elementId,
        executionId: t.executionId,
        kind: 'user-task' as const,
        name: t.name,
        since: t.createdAt,
        dueAt: t.dueAt,
      })),
      ...pendingJobs.map((j) => ({
        elementId: j.elementId,
        executionId: j.executionId,
        kind: j.kind,
        name: names.get(j.elementId) ?? null,
        since: j.createdAt,
        dueAt: j.dueAt,
        jobType: j.kind === 'service-task' ? j.jobType : undefined,
      })),
      ...failed.map((job) => ({
        elementId: job.elementId,
        executionId: job.executionId,
        kind: 'service-task' as const,
        name: names.get(job.elementId) ?? null,
        since: job.createdAt,
        jobType: job.jobType,
      })),
      ...waits.map((wait) => ({
        elementId: wait.elementId,
        executionId: wait.executionId,
        kind: atIncident.has(wait.executionId) ? ('incident' as const) : wait.kind,
        name: names.get(wait.elementId) ?? null,
        since: lastAt.get(wait.executionId) ?? instance.updatedAt,
      })),
    ];
  }

  /** An instance's variables and the names among them set from a record at the start (read-only). */
  async variables(
    instanceId: string,
  ): Promise<{ variables: Record<string, unknown>; readOnlyVariables: readonly string[] }> {
    const found = await this.queries.variablesOf(instanceId);
    if (!found) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    return found;
  }

  /**
   * A page of an instance's top-level variables (all, or the one named) in the order of `sort` (none: by name), and
   * how many match.
   */
  async searchVariables(
    instanceId: string,
    name: string | undefined,
    sort: ReadonlyArray<SortKey<VariableSortField>>,
    window: { offset: number; limit: number },
  ): Promise<{ items: Array<{ name: string; value: unknown }>; total: number }> {
    const found = await this.queries.searchVariables(instanceId, name, sort, window);
    if (!found) throw new NotFoundError(`process instance ${instanceId} does not exist`);
    return found;
  }

  /** A page of instances: `{ items, total, page, pageSize }`; `orderBy`, when it names fields, orders it. */
  async search(
    filter: ProcessInstanceQueryDto,
    orderBy: ReadonlyArray<SortKey<InstanceSortField>> = [],
  ): Promise<Page<ProcessInstanceSummary>> {
    return this.queries.search(filter, orderBy);
  }

  private async openTasks(instanceId: string): Promise<UserTaskSummary[]> {
    const perReader = await Promise.all(this.taskReaders.map((reader) => reader.openTasksOf(instanceId)));
    return perReader.flat();
  }

  /** The history of one user task: its wait's events and those naming the task (claims, assignments). */
  async historyOfTask(
    instanceId: string,
    task: { executionId: string; taskId: string },
  ): Promise<HistoryEventEntity[]> {
    return this.repository.historyOfTask(this.dataSource.manager, instanceId, task.executionId, task.taskId);
  }

  /** Who completed a task with this form in the instance. */
  async actorsOf(instanceId: string, formKey: string): Promise<Set<string>> {
    return new Set(await this.repository.actorsOf(this.dataSource.manager, instanceId, formKey));
  }

  async history(instanceId: string): Promise<HistoryEventEntity[]> {
    return this.queries.history(instanceId);
  }

  /** A page of the instance's history events of these types, oldest first. */
  async historyPage(
    instanceId: string,
    types: readonly string[],
    page: { page: number; pageSize: number },
  ): Promise<Page<HistoryEventEntity>> {
    return this.queries.historyPage(instanceId, types, page);
  }

  /** Which of these instances have an open incident, their own or a called instance's (at any depth). */
  async withOpenIncidents(instanceIds: readonly string[]): Promise<Set<string>> {
    return this.queries.withOpenIncidents(instanceIds);
  }

  /**
   * A page of the operators' incident list, newest first (`{ items, total, page, pageSize }`): each incident of an
   * instance a call activity started names the instance that called it and the call activity, so the incident is
   * seen on the parent.
   */
  async incidentList(state: IncidentStatus | undefined, page: PageRequest): Promise<Page<ListedIncident>> {
    const found = await this.queries.incidentPage(state, page);
    const callers = await this.queries.callersOf(found.items.map((i) => i.instanceId));
    const items = found.items.map((incident) => {
      const caller = callers.get(incident.instanceId);
      return Object.assign(incident, {
        parentInstanceId: caller?.parentInstanceId ?? null,
        callElementId: caller?.callElementId ?? null,
      });
    });
    return { ...found, items };
  }

  /**
   * The incidents matching `filter` in the order of `sort` (none: newest first), `limit` of them from the
   * `offset`-th, and how many match.
   */
  async searchIncidents(
    filter: IncidentFilter,
    window: { offset: number; limit: number },
    sort: ReadonlyArray<SortKey<IncidentSortField>> = [],
  ): Promise<{ items: IncidentEntity[]; total: number }> {
    return this.queries.searchIncidents(filter, window, sort);
  }

  /** Instances by process, release class and status. */
  async countsByStatus(): Promise<InstanceCount[]> {
    return this.repository.countsByStatus(this.dataSource.manager);
  }

  /** Open incidents by process, release class and job type. */
  async openIncidentsByClass(): Promise<IncidentCount[]> {
    return this.repository.openIncidentsByClass(this.dataSource.manager);
  }
}
