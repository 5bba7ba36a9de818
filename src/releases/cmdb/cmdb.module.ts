import { Module } from '@nestjs/common';
import { CmdbRepository } from './cmdb.repository.js';
import { CmdbService } from './cmdb.service.js';

@Module({
  providers: [CmdbService, CmdbRepository],
  exports: [CmdbService],
})
export class CmdbModule {}
