import { Controller, Get, Inject, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Roles, type AuthUser } from '../../identity/auth.decorators.js';
import { ApiErrors } from '../../platform/http/api-errors.js';
import { DeliveryListQueryDto } from './psl.dto.js';
import { PslService } from './psl.service.js';

/** The product software library (产品库) of a release: its package files and the delivery list. */
@ApiTags('product library')
@ApiBearerAuth()
@Controller('api/releases/:releaseId/artifacts')
export class PslController {
  constructor(@Inject(PslService) private readonly psl: PslService) {}

  /** 产品交付列表: every file of the release with its size, SHA-256, who added it and whether it is archived. */
  @ApiErrors(400, 404)
  @Get()
  async list(@Param('releaseId') releaseId: string, @Query() query: DeliveryListQueryDto) {
    return this.psl.deliveryList(releaseId, query.page, query.pageSize);
  }

  /**
   * Upload package files (multipart/form-data, any field name, up to 20 files): streamed into the library
   * while hashed; each file is capped at PSL_MAX_UPLOAD_BYTES (413). A file name already archived in this
   * release version is refused (409); a not yet archived one is replaced.
   */
  @ApiErrors(400, 403, 404, 409, 413)
  @Post()
  @Roles('project-team', 'network-engineer', 'admin')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: { file: { type: 'array', items: { type: 'string', format: 'binary' } } },
    },
  })
  async upload(
    @CurrentUser() user: AuthUser,
    @Param('releaseId') releaseId: string,
    @Req() request: Request,
  ) {
    return { items: await this.psl.upload(releaseId, request, user.username) };
  }

  /** Download a package file: for the install team, and the project manager who distributes it (5.3.7). */
  @ApiErrors(403, 404)
  @Get(':artifactId/content')
  @Roles('project-team', 'network-engineer', 'test-team', 'project-manager', 'admin')
  @ApiProduces('application/octet-stream')
  async content(
    @Param('releaseId') releaseId: string,
    @Param('artifactId') artifactId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { artifact, stream } = await this.psl.open(releaseId, artifactId);
    response.setHeader('etag', `"${artifact.sha256}"`);
    response.setHeader('repr-digest', `sha-256=:${Buffer.from(artifact.sha256, 'hex').toString('base64')}:`);
    response.setHeader('x-checksum-sha256', artifact.sha256);
    return new StreamableFile(stream, {
      type: artifact.mediaType,
      length: artifact.size,
      disposition: `attachment; filename="${artifact.name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(artifact.name)}`,
    });
  }
}
