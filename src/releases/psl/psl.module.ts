import { Module } from '@nestjs/common';
import { ReleasesModule } from '../releases.module.js';
import { PslController } from './psl.controller.js';
import { PslRepository } from './psl.repository.js';
import { PslService } from './psl.service.js';
import { PslStore } from './psl-store.js';

@Module({
  imports: [ReleasesModule],
  controllers: [PslController],
  providers: [PslService, PslStore, PslRepository],
  exports: [PslService],
})
export class PslModule {}
