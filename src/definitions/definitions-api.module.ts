import { Module } from '@nestjs/common';
import { DecisionsController } from './decisions.controller.js';
import { DefinitionsModule } from './definitions.module.js';
import { ProcessDefinitionsController } from './definitions.controller.js';
import { FormsController } from './forms.controller.js';

/** The definitions' HTTP surface (the API process only; workers import DefinitionsModule alone). */
@Module({
  imports: [DefinitionsModule],
  controllers: [ProcessDefinitionsController, DecisionsController, FormsController],
})
export class DefinitionsApiModule {}
