import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { CmdbModule } from './cmdb/cmdb.module.js';
import { CmdbController } from './cmdb/cmdb.controller.js';
import { PslModule } from './psl/psl.module.js';
import { PslController } from './psl/psl.controller.js';
import { ReportsModule } from './reports/reports.module.js';
import { ReportsController } from './reports/reports.controller.js';
import { ReleaseQueryService } from './release-query.service.js';
import { ReleasesController, StatisticsController } from './releases.controller.js';
import { ReleasesModule } from './releases.module.js';

/**
 * The release application's HTTP surface: releases and statistics, the CMDB, the product library and reports
 * (the API process only; workers import the modules with the services their service tasks use).
 */
@Module({
  imports: [InstancesModule, ReleasesModule, CmdbModule, PslModule, ReportsModule],
  controllers: [ReleasesController, StatisticsController, CmdbController, PslController, ReportsController],
  providers: [ReleaseQueryService],
})
export class ReleasesApiModule {}
