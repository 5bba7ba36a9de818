import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';

/** A day: a lease longer than that is a worker that forgot the job. */
const MAX_LEASE_MS = 24 * 3600 * 1000;
/** The retries a job can be given (max_attempts is a PostgreSQL integer). */
const MAX_RETRIES = 1_000_000;

export class ActivateJobsDto {
  @ApiProperty({
    description: 'the job type (zeebe:taskDefinition type) to work; not one the service runs itself',
  })
  @IsString()
  @Length(1, 255)
  type!: string;

  @ApiProperty({
    description: 'the name of the worker; name it again when reporting, to be refused once the job was taken',
  })
  @IsString()
  @Length(1, 255)
  worker!: string;

  @ApiProperty({
    description: "how long the jobs are the worker's before another activation may take them",
    minimum: 1,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_LEASE_MS)
  timeoutMs!: number;

  @ApiProperty({ description: 'at most this many jobs', minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  maxJobs!: number;

  @ApiPropertyOptional({ description: "only these variables of each job's instance (all when not given)" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  fetchVariables?: string[];

  @ApiPropertyOptional({
    description:
      'when no job is there, wait this long for one (long poll; capped by JOB_ACTIVATION_MAX_WAIT_MS); 0: answer at once',
    minimum: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LEASE_MS)
  requestTimeoutMs?: number;
}

/** The name a worker activated the job under: given, a report is refused once another activation took the job. */
class ReportDto {
  @ApiPropertyOptional({ description: 'the worker name the job was activated under' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  worker?: string;
}

export class CompleteJobDto extends ReportDto {
  @ApiPropertyOptional({ description: 'merged into the process variables', type: Object })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;
}

export class FailJobDto extends ReportDto {
  @ApiProperty({ description: 'the retries left after this failure; 0 makes it an incident', minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(MAX_RETRIES)
  retries!: number;

  @ApiProperty({ description: 'why it failed (kept on the job, the history and any incident)' })
  @IsString()
  @Length(1, 4000)
  errorMessage!: string;

  @ApiPropertyOptional({ description: 'the job is not activated again before this many ms', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LEASE_MS)
  retryBackOffMs?: number;
}

export class ThrowJobErrorDto extends ReportDto {
  @ApiProperty({ description: 'the BPMN error code an error event catches' })
  @IsString()
  @Length(1, 255)
  errorCode!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 4000)
  errorMessage?: string;

  @ApiPropertyOptional({
    description: 'merged into the process variables when the error is caught',
    type: Object,
  })
  @IsOptional()
  @IsObject()
  variables?: Record<string, unknown>;
}

export class UpdateJobRetriesDto {
  @ApiProperty({ description: 'the retries the job has from now', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_RETRIES)
  retries!: number;
}

/** A job handed to an external worker. */
export class ActivatedJobDto {
  @ApiProperty({ description: 'the job key: report on the job under it' })
  key!: string;

  @ApiProperty()
  type!: string;

  @ApiProperty()
  worker!: string;

  @ApiProperty({ description: 'the service task' })
  elementId!: string;

  @ApiProperty()
  processInstanceKey!: string;

  @ApiProperty({ nullable: true, type: String })
  businessKey!: string | null;

  @ApiProperty({ description: 'failures it may still have before it becomes an incident' })
  retries!: number;

  @ApiProperty({ description: 'the end of the lease (ISO-8601)' })
  deadline!: string;

  @ApiProperty({ description: 'the task definition headers (zeebe:taskHeaders)', type: Object })
  customHeaders!: Record<string, string>;

  @ApiProperty({ type: Object })
  variables!: Record<string, unknown>;
}

export class ActivatedJobsDto {
  @ApiProperty({ type: [ActivatedJobDto] })
  jobs!: ActivatedJobDto[];
}
