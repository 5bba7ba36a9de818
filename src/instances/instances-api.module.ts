import { Module } from '@nestjs/common';
import { InstancesModule } from './instances.module.js';
import { IncidentsController, ProcessInstancesController } from './instances.controller.js';

/** The instances' and incidents' HTTP surface (the API process only; workers import InstancesModule alone). */
@Module({
  imports: [InstancesModule],
  controllers: [ProcessInstancesController, IncidentsController],
})
export class InstancesApiModule {}
