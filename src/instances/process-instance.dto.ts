import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PageQueryDto } from '../platform/http/page-query.dto.js';

/** The largest version number PostgreSQL's integer holds. */
const MAX_VERSION = 2_147_483_647;

export const INSTANCE_STATES = ['running', 'completed', 'cancelled'] as const;
export const INSTANCE_SORTS = ['startedAt', '-startedAt', 'endedAt', '-endedAt'] as const;

export class StartProcessInstanceDto {
  @ApiPropertyOptional({
    description: 'the process id (the definition key) to start',
    example: 'change-request',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  processId?: string;

  @ApiPropertyOptional({ description: 'another name for processId (give one of the two)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  definitionKey?: string;

  @ApiPropertyOptional({ description: 'the version to start; the latest when not given', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;

  @ApiPropertyOptional({
    description: 'start variables (a JSON object within VARIABLES_MAX_BYTES)',
    type: Object,
  })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'your own key of the instance (an order number, a ticket)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  businessKey?: string;
}

export class ProcessInstanceQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'instances of this process id' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  processId?: string;

  @ApiPropertyOptional({ description: 'instances running on this version of the process', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;

  @ApiPropertyOptional({ enum: INSTANCE_STATES })
  @IsOptional()
  @IsIn(INSTANCE_STATES)
  state?: (typeof INSTANCE_STATES)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  businessKey?: string;

  @ApiPropertyOptional({ description: 'started at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  startedFrom?: string;

  @ApiPropertyOptional({ description: 'started before (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  startedTo?: string;

  @ApiPropertyOptional({ enum: INSTANCE_SORTS, default: '-startedAt' })
  @IsOptional()
  @IsIn(INSTANCE_SORTS)
  sort: (typeof INSTANCE_SORTS)[number] = '-startedAt';
}

export class CancelProcessInstanceDto {
  @ApiProperty({ description: 'why the instance is stopped (kept in its history)' })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}

export class UpdateVariablesDto {
  @ApiProperty({
    description: 'top-level variables to set (merged: names not given keep their values)',
    type: Object,
    example: { route: 'fast' },
  })
  @IsObject()
  variables!: Record<string, unknown>;
}

/** One instance in a list: no variables or state, which the instance's own view gives. */
export interface ProcessInstanceSummary {
  readonly id: string;
  readonly processId: string;
  readonly version: number;
  readonly businessKey: string | null;
  readonly state: string;
  readonly endStatus: string | null;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
}
