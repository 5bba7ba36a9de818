import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import { JobEntity } from '../queue/job.entity.js';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity, type IncidentStatus } from './incident.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';

/** The incidents list shows the newest this many. */
const INCIDENTS_LIMIT = 500;

/** The read side's SQL: what the instance view and the operators' lists read, outside any transaction. */
@Injectable()
export class InstanceQueryRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async findInstance(instanceId: string): Promise<ProcessInstanceEntity | null> {
    return this.dataSource.getRepository(ProcessInstanceEntity).findOneBy({ id: instanceId });
  }

  /** The version number of the definition an instance runs. */
  async definitionVersion(definitionId: string): Promise<number> {
    const definition = await this.dataSource
      .getRepository(ProcessDefinitionEntity)
      .findOneOrFail({ select: { version: true }, where: { id: definitionId } });
    return definition.version;
  }

  /** The jobs and timers the instance waits for, oldest first. */
  async pendingJobs(instanceId: string): Promise<JobEntity[]> {
    return this.dataSource
      .getRepository(JobEntity)
      .find({ where: { instanceId, status: 'pending' }, order: { createdAt: 'ASC' } });
  }

  /** Jobs by id, in one statement (order not kept). */
  async jobsByIds(ids: readonly string[]): Promise<JobEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(JobEntity).findBy({ id: In([...ids]) });
  }

  /** The instance's incidents, oldest first. */
  async incidentsOf(instanceId: string): Promise<IncidentEntity[]> {
    return this.dataSource
      .getRepository(IncidentEntity)
      .find({ where: { instanceId }, order: { createdAt: 'ASC' } });
  }

  /** Incidents of every instance in a state (all when none is given), newest first. */
  async incidents(state: IncidentStatus | undefined): Promise<IncidentEntity[]> {
    return this.dataSource.getRepository(IncidentEntity).find({
      where: state ? { status: state } : {},
      order: { createdAt: 'DESC' },
      take: INCIDENTS_LIMIT,
    });
  }

  /** The instance's history in the order it was written. */
  async history(instanceId: string): Promise<HistoryEventEntity[]> {
    return this.dataSource
      .getRepository(HistoryEventEntity)
      .find({ where: { instanceId }, order: { id: 'ASC' } });
  }
}
