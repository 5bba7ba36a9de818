import { Module } from '@nestjs/common';
import { PslModule } from '../psl/psl.module.js';
import { ReleasesModule } from '../releases.module.js';
import { ReportRepository } from './report.repository.js';
import { ReportService } from './report.service.js';

@Module({
  imports: [PslModule, ReleasesModule],
  providers: [ReportService, ReportRepository],
  exports: [ReportService],
})
export class ReportsModule {}
