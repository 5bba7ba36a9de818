import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ReleasesController } from './releases.controller.js';
import { ReleaseService } from './release.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [ReleasesController],
  providers: [ReleaseService],
  exports: [ReleaseService],
})
export class ReleasesModule {}
