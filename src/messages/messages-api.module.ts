import { Module } from '@nestjs/common';
import { MessagesController } from './messages.controller.js';
import { MessagesModule } from './messages.module.js';

/** The messages' HTTP surface (the API process only). */
@Module({
  imports: [MessagesModule],
  controllers: [MessagesController],
})
export class MessagesApiModule {}
