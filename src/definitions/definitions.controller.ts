import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { looksLikeDmn } from '../decisions/index.js';
import { readBpmnUpload } from './bpmn-upload.js';
import { DecisionService } from './decision.service.js';
import { DefinitionService } from './definition.service.js';
import { FormService } from './form.service.js';
import { IntParamPipe } from '../platform/http/hostile-input.js';
import { InvalidInputError } from '../platform/errors.js';

const BPMN_BODY = {
  description:
    'BPMN 2.0 or DMN XML as the body (application/xml), a Camunda Form (form-js JSON, application/json), or a multipart form with the file (.bpmn, .dmn, .form) in a field "file"',
  schema: { type: 'string', format: 'binary' },
};

@ApiTags('process-definitions')
@ApiBearerAuth()
@Controller('api/process-definitions')
export class ProcessDefinitionsController {
  constructor(
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(DecisionService) private readonly decisions: DecisionService,
    @Inject(FormService) private readonly forms: FormService,
  ) {}

  /** The latest version of each process. */
  @ApiErrors()
  @Get()
  async list() {
    return this.definitions.list();
  }

  @ApiErrors(404)
  @Get(':key/versions')
  async versions(@Param('key') key: string) {
    return this.definitions.versions(key);
  }

  @ApiErrors(400, 404)
  @Get(':key/versions/:version/xml')
  @Header('content-type', 'application/xml; charset=utf-8')
  async xml(@Param('key') key: string, @Param('version', new IntParamPipe()) version: number) {
    return (await this.definitions.version(key, version)).xml;
  }

  /**
   * Deploy: a changed file becomes the next version of its process key; identical content is not a new version.
   * Each executable process of a file is deployed as its own definition (`processes`), as Camunda 8 does.
   * A DMN file (by its namespace) is deployed as decisions, as at /api/decision-definitions; a Camunda Form (JSON)
   * as the next version of its form id.
   */
  @ApiErrors(400, 403, 413)
  @Post()
  @Roles('process-designer', 'admin')
  @ApiConsumes('application/xml', 'multipart/form-data')
  @ApiBody(BPMN_BODY)
  async deploy(
    @CurrentUser() user: AuthUser,
    @Req() request: Request,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ) {
    const form = formBody(request, body);
    const xml = form ?? (await readBpmnUpload(request, body, this.definitions.maxBpmnBytes));
    if (typeof xml !== 'string' || looksLikeForm(xml)) {
      const deployed = await this.forms.deploy(xml, user.username);
      response.status(deployed.created ? 201 : 200);
      return { ...deployed.form, created: deployed.created };
    }
    if (looksLikeDmn(xml)) {
      const deployed = await this.decisions.deploy(xml, user.username);
      response.status(deployed.created ? 201 : 200);
      return deployed;
    }
    const result = await this.definitions.deploy(xml, user.username);
    response.status(result.created ? 201 : 200);
    // Each executable process of the file is a definition of its own; the first one is also the answer itself.
    const processes = result.processes.map(({ definition: { xml: _xml, ...definition }, created }) => ({
      ...definition,
      created,
    }));
    return { ...processes[0]!, created: result.created, warnings: result.warnings, processes };
  }

  /** Dry run: the errors and warnings a deployment would meet; nothing is stored. */
  @ApiErrors(400, 403, 413)
  @Post('validate')
  @HttpCode(200)
  @Roles('process-designer', 'admin')
  @ApiConsumes('application/xml', 'multipart/form-data')
  @ApiBody(BPMN_BODY)
  async validate(@Req() request: Request, @Body() body: unknown) {
    const xml =
      formBody(request, body) ?? (await readBpmnUpload(request, body, this.definitions.maxBpmnBytes));
    if (typeof xml !== 'string' || looksLikeForm(xml)) {
      try {
        const form = this.forms.parse(xml);
        return { valid: true, formId: form.formId, errors: [], warnings: [] };
      } catch (err) {
        if (err instanceof InvalidInputError)
          return { valid: false, errors: err.details ?? [], warnings: [] };
        throw err;
      }
    }
    return looksLikeDmn(xml) ? this.decisions.validate(xml) : this.definitions.validate(xml);
  }
}

/** A form sent as a JSON body (already parsed). */
function formBody(request: Request, body: unknown): Record<string, unknown> | undefined {
  // Only a JSON body is a form: a request without a body also reaches here as an empty object.
  if (!request.is('application/json')) return undefined;
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body) || Array.isArray(body))
    return undefined;
  const fields = body as Record<string, unknown>;
  // BPMN wrapped in JSON is a common mistake: say how to send it rather than refusing it as a form.
  if ('xml' in fields && !('components' in fields))
    throw new InvalidInputError(
      'send the BPMN as an application/xml body or as a multipart file; a JSON body is read as a Camunda Form',
      [{ field: 'xml', message: 'is not read from a JSON body' }],
    );
  return fields;
}

/** A form file: JSON, where BPMN and DMN are XML. */
function looksLikeForm(text: string): boolean {
  return text.trimStart().startsWith('{');
}
