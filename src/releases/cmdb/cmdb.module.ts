import { Module } from '@nestjs/common';
import { CmdbController } from './cmdb.controller.js';
import { CmdbRepository } from './cmdb.repository.js';
import { CmdbService } from './cmdb.service.js';

@Module({
  controllers: [CmdbController],
  providers: [CmdbService, CmdbRepository],
  exports: [CmdbService],
})
export class CmdbModule {}
