import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ReleasesController, StatisticsController } from './releases.controller.js';
import { ReleaseQueryService } from './release-query.service.js';
import { ReleaseService } from './release.service.js';
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
  imports: [InstancesModule],
  controllers: [ReleasesController, StatisticsController],
  providers: [ReleaseService, ReleaseQueryService],
  exports: [ReleaseService],
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
