import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../platform/http/api-errors.js';
import { IntParamPipe } from '../platform/http/hostile-input.js';
import { FormService } from './form.service.js';

/** Deployed Camunda Forms (deploy them at POST /api/process-definitions, alone or beside the flows). */
@ApiTags('forms')
@ApiBearerAuth()
@Controller('api/forms')
export class FormsController {
  constructor(@Inject(FormService) private readonly forms: FormService) {}

  /** The latest version of each form. */
  @ApiErrors()
  @Get()
  async list() {
    return this.forms.list();
  }

  @ApiErrors(404)
  @Get(':formId/versions')
  async versions(@Param('formId') formId: string) {
    return this.forms.versions(formId);
  }

  /** A deployed form version with its form-js schema. */
  @ApiErrors(400, 404)
  @Get(':formId/versions/:version')
  async version(@Param('formId') formId: string, @Param('version', new IntParamPipe()) version: number) {
    return this.forms.version(formId, version);
  }
}
