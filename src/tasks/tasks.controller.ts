import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { TaskService } from './task.service.js';

class TaskQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  candidateGroup?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  releaseId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  processKey?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page = 1;

  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  pageSize = 50;
}

class CompleteTaskDto {
  @ApiProperty({ description: 'the form fields; merged into the process variables' })
  @IsObject()
  data!: Record<string, unknown>;
}

@ApiTags('tasks')
@Controller('api/tasks')
export class TasksController {
  constructor(@Inject(TaskService) private readonly tasks: TaskService) {}

  @Get()
  async list(@Query() query: TaskQueryDto) {
    return this.tasks.list({ ...query });
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.tasks.get(id);
  }

  @Post(':id/complete')
  @HttpCode(200)
  async complete(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CompleteTaskDto) {
    return this.tasks.complete(id, body.data, null);
  }
}
