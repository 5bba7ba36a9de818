import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { EngineHost } from '../engine/index.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { InstanceQueryRepository } from './instance-query.repository.js';
import { InstanceQueryService } from './instance-query.service.js';
import { InstanceRepository } from './instance.repository.js';
import { InstanceService } from './instance.service.js';
import { ProcessInstanceService } from './process-instance.service.js';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity } from './incident.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';
import { JOB_OUTCOMES } from '../queue/job-outcome.port.js';
import { InstanceJobOutcomes } from './instance-job-outcomes.js';
import { InstanceJobRepository } from './instance-job.repository.js';
import { TimerStartRepository } from './timer-start.repository.js';
import { TimerStartService } from './timer-start.service.js';

/** The durable core without HTTP: the controllers are InstancesApiModule's. */
@Module({
  imports: [DefinitionsModule],
  providers: [
    {
      provide: EngineHost,
      useFactory: (config: AppConfig) =>
        new EngineHost({
          feelTimeoutMs: config.feel.evaluationTimeoutMs,
          timers: config.timers,
          cache: config.engineCache,
        }),
      inject: [APP_CONFIG],
    },
    {
      provide: InstanceRepository,
      useFactory: (clock: Clock) => new InstanceRepository(clock),
      inject: [CLOCK],
    },
    { provide: InstanceJobRepository, useValue: new InstanceJobRepository() },
    { provide: TimerStartRepository, useValue: new TimerStartRepository() },
    TimerStartService,
    // The queue reports job outcomes here (the queue knows no instance).
    { provide: JOB_OUTCOMES, useClass: InstanceJobOutcomes },
    InstanceService,
    InstanceQueryService,
    InstanceQueryRepository,
    ProcessInstanceService,
  ],
  exports: [InstanceService, InstanceQueryService, InstanceRepository, ProcessInstanceService, JOB_OUTCOMES],
})
export class InstancesModule {}

/** The instances' tables, registered with the data source by the composition root. */
export const INSTANCE_ENTITIES = [ProcessInstanceEntity, HistoryEventEntity, IncidentEntity];
