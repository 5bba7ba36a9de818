import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class ReportFormatDto {
  @ApiPropertyOptional({ enum: ['md', 'html'], default: 'md' })
  @IsOptional()
  @IsIn(['md', 'html'])
  format?: 'md' | 'html';
}
