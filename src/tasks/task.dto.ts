import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQueryDto } from '../platform/http/page-query.dto.js';

export const TASK_SORTS = ['dueAt', '-dueAt', 'priority', '-priority', 'createdAt', '-createdAt'] as const;

export class TaskQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  candidateGroup?: string;

  @ApiPropertyOptional({ description: '"me" or a username' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  assignee?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  releaseId?: string;

  /** Checked by the filter the release application registers (a release class: standard, emergency, major). */
  @ApiPropertyOptional({ description: 'the class of the release the task belongs to' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  class?: string;

  /** Checked by the filter the release application registers. */
  @ApiPropertyOptional({ description: 'the release the task belongs to: its number (REL-2026-0042) or id' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  release?: string;

  @ApiPropertyOptional({ description: 'the process (definition key) the task belongs to' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  processKey?: string;

  @ApiPropertyOptional({
    description: '"me" or a username: tasks that user completed (status defaults to completed)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  completedBy?: string;

  @ApiPropertyOptional({ description: 'priority at least this (0-100)', minimum: 0, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  minPriority?: number;

  @ApiPropertyOptional({ description: 'free text over the step name and the release number and title' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ description: 'the tasks of this process instance' })
  @IsOptional()
  @IsUUID()
  instanceId?: string;

  @ApiPropertyOptional({ description: 'the tasks of this BPMN element (its id in the diagram)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  elementId?: string;

  @ApiPropertyOptional({ enum: ['open', 'completed', 'cancelled'] })
  @IsOptional()
  @IsIn(['open', 'completed', 'cancelled'])
  status?: 'open' | 'completed' | 'cancelled';

  @ApiPropertyOptional({ description: 'due before (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  dueBefore?: string;

  @ApiPropertyOptional({ description: 'due at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  dueAfter?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601()
  createdFrom?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601()
  createdTo?: string;

  @ApiPropertyOptional({ enum: TASK_SORTS, default: 'createdAt' })
  @IsOptional()
  @IsIn(TASK_SORTS)
  sort: (typeof TASK_SORTS)[number] = 'createdAt';
}

export class CompleteTaskDto {
  @ApiProperty({ description: "the form's fields; merged into the process variables" })
  @IsObject()
  data!: Record<string, unknown>;
}

export class AssignTaskDto {
  @ApiProperty({ description: 'username of a user in one of the task’s candidate groups' })
  @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/)
  assignee!: string;
}
