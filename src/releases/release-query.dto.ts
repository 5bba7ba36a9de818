import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { RELEASE_CLASSES, RELEASE_SOURCES } from './release.entity.js';
import { PageQueryDto } from '../platform/http/page-query.dto.js';

export const RELEASE_STATUSES = ['in-progress', 'closed', 'rejected', 'rolled-back', 'cancelled'] as const;
export const RELEASE_SORTS = [
  'createdAt',
  '-createdAt',
  'number',
  '-number',
  'plannedAt',
  '-plannedAt',
] as const;

export class ReleaseQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'release number, e.g. REL-2026-0042' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  number?: string;

  @ApiPropertyOptional({ enum: RELEASE_CLASSES })
  @IsOptional()
  @IsIn(RELEASE_CLASSES)
  class?: string;

  @ApiPropertyOptional({ enum: RELEASE_SOURCES })
  @IsOptional()
  @IsIn(RELEASE_SOURCES)
  source?: string;

  @ApiPropertyOptional({ enum: RELEASE_STATUSES })
  @IsOptional()
  @IsIn(RELEASE_STATUSES)
  status?: string;

  @ApiPropertyOptional({ description: 'the element id of a step the release is in now, e.g. test-release' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  step?: string;

  @ApiPropertyOptional({ description: 'filed at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'filed before (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ description: 'free text over number, title, scope and content' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: RELEASE_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn(RELEASE_SORTS)
  sort: (typeof RELEASE_SORTS)[number] = '-createdAt';
}

export class StatisticsQueryDto {
  @ApiPropertyOptional({ description: 'period start, inclusive (ISO 8601); default: one year back' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'period end, exclusive (ISO 8601); default: now' })
  @IsOptional()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ enum: ['month', 'quarter', 'year', 'range'], default: 'month' })
  @IsOptional()
  @IsIn(['month', 'quarter', 'year', 'range'])
  groupBy: 'month' | 'quarter' | 'year' | 'range' = 'month';

  @ApiPropertyOptional({ enum: RELEASE_CLASSES })
  @IsOptional()
  @IsIn(RELEASE_CLASSES)
  class?: string;

  @ApiPropertyOptional({ enum: RELEASE_SOURCES })
  @IsOptional()
  @IsIn(RELEASE_SOURCES)
  source?: string;
}
