import { Module } from '@nestjs/common';
import { DefinitionsModule } from './definitions.module.js';
import { ProcessDefinitionsController } from './definitions.controller.js';

/** The definitions' HTTP surface (the API process only; workers import DefinitionsModule alone). */
@Module({
  imports: [DefinitionsModule],
  controllers: [ProcessDefinitionsController],
})
export class DefinitionsApiModule {}
