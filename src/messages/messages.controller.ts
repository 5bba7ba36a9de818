import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../identity/auth.decorators.js';
import { PublishMessageDto } from './message.dto.js';
import { MessageService, type PublishedMessage } from './message.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('api/messages')
export class MessagesController {
  constructor(@Inject(MessageService) private readonly messages: MessageService) {}

  /** Publish a message: delivered to one waiting subscription of its name and key, or buffered for its time to live. */
  @Post()
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  publish(@Body() body: PublishMessageDto): Promise<PublishedMessage> {
    return this.messages.publish({
      name: body.name,
      correlationKey: body.correlationKey ?? '',
      timeToLiveMs: body.timeToLive ?? 0,
      messageId: body.messageId ?? null,
      variables: body.variables ?? {},
    });
  }
}
