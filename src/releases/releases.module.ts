import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ReleasesController, StatisticsController } from './releases.controller.js';
import { ReleaseQueryService } from './release-query.service.js';
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

@Module({
  imports: [InstancesModule, TasksModule],
  controllers: [ReleasesController, StatisticsController],
  providers: [ReleaseService, ReleaseQueryService, ReleaseRepository, ReleaseTaskPolicy],
  exports: [ReleaseService, ReleaseRepository],
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
