import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * The last page a list serves: keeps OFFSET a finite number PostgreSQL takes (`page=1e308` is an integer
 * to JavaScript, and Infinity once multiplied); deeper than this, filter instead.
 */
export const MAX_PAGE = 1_000_000;

/** `page` and `pageSize` of every list endpoint; lists answer `{ items, total, page, pageSize }`. */
export class PageQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page = 1;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  pageSize = 50;
}

/** One page of a list and the number of rows without paging. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}
