import { Module, type Type } from '@nestjs/common';
import { CmdbModule } from './cmdb/cmdb.module.js';
import { NotifyModule } from './notify/notify.module.js';
import { PslModule } from './psl/psl.module.js';
import { ReportsModule } from './reports/reports.module.js';
import type { JobHandler } from '../queue/job-handler.port.js';
import { CmdbSyncJobHandler } from './cmdb/cmdb-sync.handler.js';
import { NotifyJobHandler } from './notify/notify.handler.js';
import { PslArchiveJobHandler } from './psl/psl-archive.handler.js';
import { PslVerifyJobHandler } from './psl/psl-verify.handler.js';
import { ReleaseRollbackJobHandler } from './rollback/release-rollback.handler.js';
import { ReportGenerateJobHandler } from './reports/report-generate.handler.js';
import { ExternalCmdbPusher } from './cmdb/external-cmdb.js';
import { ServiceTaskSupportModule } from '../queue/job-effects.module.js';
import { ReleasesModule } from './releases.module.js';

/** The handlers of the release procedure's service tasks (release-procedure: service tasks). */
const RELEASE_JOB_HANDLERS: ReadonlyArray<Type<JobHandler>> = [
  NotifyJobHandler,
  CmdbSyncJobHandler,
  PslArchiveJobHandler,
  PslVerifyJobHandler,
  ReleaseRollbackJobHandler,
  ReportGenerateJobHandler,
];

/** Provides the release procedure's job handlers; the queue finds them by their `@JobHandlerFor()` mark. */
@Module({
  imports: [ServiceTaskSupportModule, ReleasesModule, NotifyModule, CmdbModule, PslModule, ReportsModule],
  providers: [ExternalCmdbPusher, ...RELEASE_JOB_HANDLERS],
})
export class ServiceTaskHandlersModule {}
