import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** The longest time to live a message may ask for: 30 days, in milliseconds. */
export const MAX_MESSAGE_TTL_MS = 30 * 24 * 3600 * 1000;

export class PublishMessageDto {
  @ApiProperty({ description: 'The message name the catch events and receive tasks subscribe to' })
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional({
    description:
      'Matched against the subscriptions\u2019 correlation keys (FEEL, evaluated when the wait opened)',
  })
  @IsOptional()
  @IsString()
  @Length(0, 255)
  correlationKey?: string;

  @ApiPropertyOptional({
    description: 'How long the message waits for a subscription, in ms (0: delivered now or dropped)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MESSAGE_TTL_MS)
  timeToLive?: number;

  @ApiPropertyOptional({
    description: 'Published once within its time to live: a second publish answers 409',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  messageId?: string;

  @ApiPropertyOptional({ description: 'Set on the instance it is delivered to', type: Object })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;
}

export class CorrelateMessageDto {
  @ApiProperty({ description: 'The message name the catch events and receive tasks subscribe to' })
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional({
    description:
      'Matched against the subscriptions\u2019 correlation keys (FEEL, evaluated when the wait opened)',
  })
  @IsOptional()
  @IsString()
  @Length(0, 255)
  correlationKey?: string;

  @ApiPropertyOptional({ description: 'Set on the instance it is delivered to', type: Object })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;
}
