import { Module } from '@nestjs/common';
import { PslController } from './psl.controller.js';
import { PslService } from './psl.service.js';
import { PslStore } from './psl-store.js';

@Module({
  controllers: [PslController],
  providers: [PslService, PslStore],
  exports: [PslService],
})
export class PslModule {}
