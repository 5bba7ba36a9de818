import { Module } from '@nestjs/common';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { EngineHost } from '../engine/engine-host.js';
import { InstanceQueryService } from './instance-query.service.js';
import { InstanceRepository } from './instance.repository.js';
import { InstanceService } from './instance.service.js';
import { IncidentsController, ProcessInstancesController } from './instances.controller.js';
import { OutboxRelay } from './outbox-relay.js';

@Module({
  imports: [DefinitionsModule],
  controllers: [ProcessInstancesController, IncidentsController],
  providers: [
    { provide: EngineHost, useValue: new EngineHost() },
    { provide: InstanceRepository, useValue: new InstanceRepository() },
    InstanceService,
    InstanceQueryService,
    OutboxRelay,
  ],
  exports: [InstanceService, InstanceQueryService, InstanceRepository, OutboxRelay],
})
export class InstancesModule {}
