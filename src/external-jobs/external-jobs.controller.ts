import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import {
  ActivateJobsDto,
  CompleteJobDto,
  FailJobDto,
  ThrowJobErrorDto,
  UpdateJobRetriesDto,
  type ActivatedJobsDto,
} from './external-jobs.dto.js';
import { ExternalJobsService } from './external-jobs.service.js';

/**
 * Job workers outside the service. They sign in as a user with the admin or process-designer role (a machine
 * account): working a job advances any instance, as a designer's or administrator's own actions can.
 */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/jobs')
@Roles('admin', 'process-designer')
export class ExternalJobsController {
  constructor(@Inject(ExternalJobsService) private readonly jobs: ExternalJobsService) {}

  /** Lease jobs of a type no handler of the service runs; long poll with `requestTimeoutMs`. */
  @ApiErrors(400, 403, 409)
  @Post('activate')
  @HttpCode(200)
  async activate(@Body() body: ActivateJobsDto): Promise<ActivatedJobsDto> {
    return { jobs: await this.jobs.activate(body) };
  }

  @ApiErrors(400, 403, 404, 409, 413)
  @Post(':id/complete')
  @HttpCode(204)
  async complete(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: CompleteJobDto): Promise<void> {
    await this.jobs.complete(id, body.variables ?? {}, body.worker);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/fail')
  @HttpCode(200)
  async fail(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: FailJobDto) {
    return this.jobs.fail(id, body, body.worker);
  }

  @ApiErrors(400, 403, 404, 409, 413)
  @Post(':id/error')
  @HttpCode(200)
  async throwError(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ThrowJobErrorDto) {
    return { outcome: await this.jobs.throwError(id, body, body.worker) };
  }

  @ApiErrors(400, 403, 404, 409)
  @Patch(':id')
  @HttpCode(204)
  async updateRetries(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateJobRetriesDto,
  ): Promise<void> {
    await this.jobs.updateRetries(id, body.retries);
  }
}
