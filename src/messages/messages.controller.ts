import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { CorrelateMessageDto, PublishMessageDto } from './message.dto.js';
import { MessageService, type CorrelatedMessage, type PublishedMessage } from './message.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('api/messages')
export class MessagesController {
  constructor(@Inject(MessageService) private readonly messages: MessageService) {}

  /** Publish a message: delivered to one waiting subscription of its name and key, or buffered for its time to live. */
  @ApiErrors(400, 403, 409, 413, 422)
  @Post('publish')
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

  /** Correlate a message to the subscription waiting for it now (the oldest); 404 when none waits. Never buffered. */
  @ApiErrors(400, 403, 404, 413, 422)
  @Post('correlate')
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  correlate(@Body() body: CorrelateMessageDto): Promise<CorrelatedMessage> {
    return this.messages.correlate({
      name: body.name,
      correlationKey: body.correlationKey ?? '',
      variables: body.variables ?? {},
    });
  }
}
