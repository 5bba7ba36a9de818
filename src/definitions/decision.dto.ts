import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

export class EvaluateDecisionDto {
  @ApiProperty({ description: 'the variables the decision is evaluated against' })
  @IsObject()
  variables!: Record<string, unknown>;
}
