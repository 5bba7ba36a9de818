import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { RELEASE_CLASSES, RELEASE_SOURCES, type ReleaseClass, type ReleaseSource } from './release.entity.js';

export const DISTRIBUTION_METHODS = ['intranet', 'email', 'paper', 'telegram'] as const;

/** 任务申请单: the release request the applicant files. */
export class ReleaseRequestDto {
  @ApiProperty({ description: '标题 title', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiProperty({ description: '发布来源 source (section 5.3.1)', enum: RELEASE_SOURCES })
  @IsIn(RELEASE_SOURCES)
  source!: ReleaseSource;

  @ApiPropertyOptional({ description: '发布范围 scope', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  scope?: string;

  @ApiPropertyOptional({ description: '发布内容 content', maxLength: 10000 })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  content?: string;

  @ApiPropertyOptional({ description: '计划时间 planned time (ISO 8601)' })
  @IsOptional()
  @IsISO8601()
  plannedAt?: string;

  @ApiPropertyOptional({ description: '关联变更 linked change request', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  changeRequest?: string;

  @ApiPropertyOptional({ description: '受影响配置项 affected configuration items', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  configurationItems?: string[];

  @ApiPropertyOptional({ description: '回退计划 rollback plan (required for standard and major releases)' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  rollbackPlan?: string;

  @ApiPropertyOptional({
    description: '发布方式 distribution methods',
    enum: DISTRIBUTION_METHODS,
    isArray: true,
  })
  @IsOptional()
  @IsArray()
  @IsIn(DISTRIBUTION_METHODS, { each: true })
  distributionMethods?: string[];

  @ApiPropertyOptional({ description: '分发范围 distribution scope', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  distributionScope?: string;
}

export class FileReleaseDto {
  @ApiProperty({ description: '发布类别 class', enum: RELEASE_CLASSES })
  @IsIn(RELEASE_CLASSES)
  class!: ReleaseClass;

  @ApiProperty({ type: ReleaseRequestDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => ReleaseRequestDto)
  request!: ReleaseRequestDto;
}

export class CancelReleaseDto {
  @ApiProperty({ description: 'why the release is cancelled', maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  reason!: string;
}
