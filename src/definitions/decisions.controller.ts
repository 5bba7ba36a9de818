import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { IntParamPipe } from '../platform/http/hostile-input.js';
import { readBpmnUpload } from './bpmn-upload.js';
import { EvaluateDecisionDto } from './decision.dto.js';
import { DecisionService } from './decision.service.js';

const DMN_BODY = {
  description:
    'DMN 1.3 XML as the body (application/xml), or a multipart form with the file in a field "file"',
  schema: { type: 'string', format: 'binary' },
};

@ApiTags('decision-definitions')
@ApiBearerAuth()
@Controller('api/decision-definitions')
export class DecisionsController {
  constructor(@Inject(DecisionService) private readonly decisions: DecisionService) {}

  /** The latest version of each decision. */
  @ApiErrors()
  @Get()
  async list() {
    return this.decisions.list();
  }

  @ApiErrors(404)
  @Get(':key/versions')
  async versions(@Param('key') key: string) {
    return this.decisions.versions(key);
  }

  /** The DMN file the version was deployed with. */
  @ApiErrors(400, 404)
  @Get(':key/versions/:version/xml')
  @Header('content-type', 'application/xml; charset=utf-8')
  async xml(@Param('key') key: string, @Param('version', new IntParamPipe()) version: number) {
    return this.decisions.xml(key, version);
  }

  /** Deploy: each decision of a changed file becomes the next version of its id; the same file again is not. */
  @ApiErrors(400, 403, 413)
  @Post()
  @Roles('process-designer', 'admin')
  @ApiConsumes('application/xml', 'multipart/form-data')
  @ApiBody(DMN_BODY)
  async deploy(
    @CurrentUser() user: AuthUser,
    @Req() request: Request,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ) {
    const result = await this.decisions.deploy(
      await readBpmnUpload(request, body, this.decisions.maxBytes),
      user.username,
    );
    response.status(result.created ? 201 : 200);
    return result;
  }

  /** Dry run: the errors a deployment would meet; nothing is stored. */
  @ApiErrors(400, 403, 413)
  @Post('validate')
  @HttpCode(200)
  @Roles('process-designer', 'admin')
  @ApiConsumes('application/xml', 'multipart/form-data')
  @ApiBody(DMN_BODY)
  async validate(@Req() request: Request, @Body() body: unknown) {
    return this.decisions.validate(await readBpmnUpload(request, body, this.decisions.maxBytes));
  }

  /** Try the latest version of a decision: its result, and each decision evaluated with its matched rules. */
  @ApiErrors(400, 403, 404, 413, 422)
  @Post(':key/evaluate')
  @HttpCode(200)
  @Roles('process-designer', 'admin')
  async evaluate(@Param('key') key: string, @Body() body: EvaluateDecisionDto) {
    return this.decisions.tryLatest(key, body.variables);
  }
}
