import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../common/errors.js';
import { InstanceService } from '../instances/instance.service.js';
import { UserTaskEntity, type UserTaskStatus } from './user-task.entity.js';

export interface TaskFilter {
  readonly candidateGroup?: string;
  readonly releaseId?: string;
  readonly processKey?: string;
  readonly status?: UserTaskStatus;
  readonly page: number;
  readonly pageSize: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

/** The task inbox: open user tasks, and completing them. */
@Injectable()
export class TaskService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstanceService) private readonly instances: InstanceService,
  ) {}

  async list(filter: TaskFilter): Promise<Page<UserTaskEntity>> {
    const query = this.dataSource
      .getRepository(UserTaskEntity)
      .createQueryBuilder('t')
      .where('t.status = :status', { status: filter.status ?? 'open' });
    if (filter.candidateGroup)
      query.andWhere(':group = ANY(t.candidate_groups)', { group: filter.candidateGroup });
    if (filter.releaseId) query.andWhere('t.business_key = :releaseId', { releaseId: filter.releaseId });
    if (filter.processKey) query.andWhere('t.process_key = :processKey', { processKey: filter.processKey });
    const [items, total] = await query
      .orderBy('t.created_at', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total, page: filter.page, pageSize: filter.pageSize };
  }

  async get(taskId: string): Promise<UserTaskEntity> {
    const task = await this.dataSource.getRepository(UserTaskEntity).findOneBy({ id: taskId });
    if (!task) throw new NotFoundError(`task ${taskId} does not exist`);
    return task;
  }

  async complete(taskId: string, data: unknown, actor: string | null): Promise<UserTaskEntity> {
    return this.instances.completeTask(taskId, data, actor);
  }
}
