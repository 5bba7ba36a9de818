import { Module } from '@nestjs/common';
import { PslModule } from '../psl/psl.module.js';
import { ReleasesModule } from '../releases.module.js';
import { ReportRepository } from './report.repository.js';
import { ReportService } from './report.service.js';
import { ReportsController } from './reports.controller.js';

@Module({
  imports: [PslModule, ReleasesModule],
  controllers: [ReportsController],
  providers: [ReportService, ReportRepository],
  exports: [ReportService],
})
export class ReportsModule {}
