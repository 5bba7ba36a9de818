import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { FiledReleases } from './filed-releases.js';
import { ReleaseRepository } from './release.repository.js';
import { ReleaseService } from './release.service.js';
import { ReleaseTaskPolicy } from './release-task-policy.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ReleaseEntity } from './release.entity.js';
import {
  CmdbBaselineEntity,
  CmdbItemEntity,
  CmdbItemVersionEntity,
  CmdbRelationEntity,
} from './cmdb/cmdb.entities.js';
import { PslArtifactEntity } from './psl/psl-artifact.entity.js';
import { ReleaseReportEntity } from './reports/release-report.entity.js';

/** Release records and their instance listener, without HTTP: the controllers are ReleasesApiModule's. */
@Module({
  imports: [InstancesModule, TasksModule],
  providers: [ReleaseService, ReleaseRepository, ReleaseTaskPolicy, FiledReleases],
  exports: [ReleaseService, ReleaseRepository, FiledReleases],
})
export class ReleasesModule {}

/** The release application's tables (its service tasks' too), registered with the data source by the composition root. */
export const RELEASE_ENTITIES = [
  ReleaseEntity,
  PslArtifactEntity,
  ReleaseReportEntity,
  CmdbItemEntity,
  CmdbItemVersionEntity,
  CmdbRelationEntity,
  CmdbBaselineEntity,
];
