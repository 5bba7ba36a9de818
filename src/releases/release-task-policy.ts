import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import type { EntityManager } from 'typeorm';
import {
  TaskExtensions,
  type SegregationFacts,
  type SegregationNeeds,
  type TaskCompletionPolicy,
  type TaskEscalationListener,
} from '../tasks/task-extensions.service.js';
import type { UserTaskEntity } from '../tasks/user-task.entity.js';
import { FiledReleases } from './filed-releases.js';
import { RELEASE_CLASSES } from './release.entity.js';
import {
  ReleaseRepository,
  TASK_OF_RELEASE,
  TASK_OF_RELEASE_CLASS,
  TASK_RELEASE_SEARCH,
  TASK_RELEASE_SUMMARY,
} from './release.repository.js';

/**
 * What the inbox needs to know of releases, registered with it: the `class` and `release` filters and the
 * search of the task list, the release each task belongs to (number, title, class), the facts of segregation
 * of duties (who filed the release, who built its package), and the mark an escalated task leaves on its
 * release.
 */
@Injectable()
export class ReleaseTaskPolicy implements TaskCompletionPolicy, TaskEscalationListener, OnModuleInit {
  constructor(
    @Inject(TaskExtensions) private readonly tasks: TaskExtensions,
    @Inject(ReleaseRepository) private readonly releases: ReleaseRepository,
    @Inject(InstanceQueryService) private readonly instances: InstanceQueryService,
    @Inject(FiledReleases) private readonly filed: FiledReleases,
  ) {}

  onModuleInit(): void {
    this.tasks.addFilter({ name: 'class', values: RELEASE_CLASSES, sql: TASK_OF_RELEASE_CLASS });
    this.tasks.addFilter({ name: 'release', sql: TASK_OF_RELEASE });
    this.tasks.addSearch(TASK_RELEASE_SEARCH);
    this.tasks.addCompletionPolicy(this);
    this.tasks.addDescriber({ field: 'release', sql: TASK_RELEASE_SUMMARY });
    this.tasks.addEscalationListener(this);
  }

  /** The release shows it was escalated (the first time counts). */
  async onTaskEscalated(manager: EntityManager, task: UserTaskEntity): Promise<void> {
    if (!task.businessKey || !task.escalatedAt) return;
    const release = await this.releases.findById(task.businessKey, manager);
    if (!release || release.instanceId !== task.instanceId || release.escalatedAt) return;
    await this.releases.update(manager, release.id, {
      escalatedAt: task.escalatedAt,
      updatedAt: task.escalatedAt,
    });
  }

  async segregationFacts(task: UserTaskEntity, needs: SegregationNeeds): Promise<SegregationFacts> {
    const [applicant, builders] = await Promise.all([
      needs.applicant && task.businessKey ? this.applicantOf(task.businessKey) : null,
      needs.builders ? this.instances.actorsOf(task.instanceId, 'build-record') : new Set<string>(),
    ]);
    return { applicant, builders };
  }

  /** Who filed a release: set when it is filed and never changed, so kept per process (see FiledReleases). */
  private async applicantOf(releaseId: string): Promise<string | null> {
    const known = this.filed.get(releaseId);
    if (known) return known.createdBy;
    const release = await this.releases.findById(releaseId);
    // A business key that is no release (yet) is not kept: a release filed later under it must be seen.
    if (!release) return null;
    this.filed.remember(release);
    return release.createdBy;
  }
}
