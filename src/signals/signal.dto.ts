import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Length } from 'class-validator';

export class BroadcastSignalDto {
  @ApiProperty({ description: 'The signal name (the bpmn:signal the catch and boundary events reference)' })
  @IsString()
  @Length(1, 255)
  name!: string;

  @ApiPropertyOptional({ description: 'Set on every instance the signal reaches', type: Object })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;
}
