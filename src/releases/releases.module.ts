import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ReleasesController, StatisticsController } from './releases.controller.js';
import { ReleaseQueryService } from './release-query.service.js';
import { ReleaseService } from './release.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [ReleasesController, StatisticsController],
  providers: [ReleaseService, ReleaseQueryService],
  exports: [ReleaseService],
})
export class ReleasesModule {}
