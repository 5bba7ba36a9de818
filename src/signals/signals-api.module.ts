import { Module } from '@nestjs/common';
import { SignalsController } from './signals.controller.js';
import { SignalsModule } from './signals.module.js';

/** The signals' HTTP surface (the API process only). */
@Module({
  imports: [SignalsModule],
  controllers: [SignalsController],
})
export class SignalsApiModule {}
