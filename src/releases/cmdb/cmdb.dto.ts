import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../platform/http/page-query.dto.js';

export class CmdbItemQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'search in name, type, owner, current version and attributes' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ description: 'item type, e.g. software, hardware, document' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ description: 'only items a release touched' })
  @IsOptional()
  @IsUUID()
  releaseId?: string;
}

export class CmdbRelationDto {
  @ApiProperty({ example: 'depends-on' })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  type!: string;

  @ApiProperty({ description: 'name of the related item', example: 'billing-db' })
  @IsString()
  @Length(1, 200)
  target!: string;
}

/** Create or update an item by name; relations given replace the item's outgoing relations. */
export class UpsertCmdbItemDto {
  @ApiProperty({ example: 'billing-api' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: 'software' })
  @IsString()
  @Length(1, 64)
  type!: string;

  @ApiPropertyOptional({ description: 'who is responsible for the item', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  owner?: string | null;

  @ApiPropertyOptional({ description: 'free attributes (host, location, licence, ...)' })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [CmdbRelationDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CmdbRelationDto)
  relations?: CmdbRelationDto[];
}
