import { Module } from '@nestjs/common';
import { ReleasesModule } from '../releases.module.js';
import { PslRepository } from './psl.repository.js';
import { PslService } from './psl.service.js';
import { PslStore } from './psl-store.js';

@Module({
  imports: [ReleasesModule],
  providers: [PslService, PslStore, PslRepository],
  exports: [PslService],
})
export class PslModule {}
