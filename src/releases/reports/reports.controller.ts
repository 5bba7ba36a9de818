import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.js';
import { REPORT_CONTENT_SECURITY_POLICY } from './report-document.js';
import { ReportFormatDto } from './report.dto.js';
import { ReportService } from './report.service.js';

@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/releases/:releaseId/reports')
export class ReportsController {
  constructor(@Inject(ReportService) private readonly reports: ReportService) {}

  /**
   * The latest generated release-report, delivery-list or assessment-report of a release, as Markdown
   * (`?format=md`, the default) or printable HTML (`?format=html`).
   */
  @ApiErrors(400, 404)
  @Get(':kind')
  @ApiProduces('text/markdown', 'text/html')
  async get(
    @Param('releaseId') releaseId: string,
    @Param('kind') kind: string,
    @Query() query: ReportFormatDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    const report = await this.reports.latest(releaseId, kind, query.format ?? 'md');
    response.setHeader('content-type', report.contentType);
    response.setHeader('content-disposition', `inline; filename="${report.filename}"`);
    response.setHeader('last-modified', report.generatedAt.toUTCString());
    response.setHeader('content-security-policy', REPORT_CONTENT_SECURITY_POLICY);
    return report.body;
  }
}
