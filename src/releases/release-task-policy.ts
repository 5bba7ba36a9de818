import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import {
  TaskExtensions,
  type SegregationFacts,
  type TaskCompletionPolicy,
} from '../tasks/task-extensions.service.js';
import type { UserTaskEntity } from '../tasks/user-task.entity.js';
import { RELEASE_CLASSES } from './release.entity.js';
import { ReleaseRepository, TASK_OF_RELEASE_CLASS } from './release.repository.js';

/**
 * What the inbox needs to know of releases, registered with it: the `class` filter of the task list, and
 * the facts of segregation of duties (who filed the release, who built its package).
 */
@Injectable()
export class ReleaseTaskPolicy implements TaskCompletionPolicy, OnModuleInit {
  constructor(
    @Inject(TaskExtensions) private readonly tasks: TaskExtensions,
    @Inject(ReleaseRepository) private readonly releases: ReleaseRepository,
    @Inject(InstanceQueryService) private readonly instances: InstanceQueryService,
  ) {}

  onModuleInit(): void {
    this.tasks.addFilter({ name: 'class', values: RELEASE_CLASSES, sql: TASK_OF_RELEASE_CLASS });
    this.tasks.addCompletionPolicy(this);
  }

  async segregationFacts(task: UserTaskEntity): Promise<SegregationFacts> {
    const release = task.businessKey ? await this.releases.findById(task.businessKey) : null;
    const builders = await this.instances.actorsOf(task.instanceId, 'build-record');
    return { applicant: release?.createdBy ?? null, builders };
  }
}
