import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { BroadcastSignalDto } from './signal.dto.js';
import { SignalService, type BroadcastResult } from './signal.service.js';

@ApiTags('signals')
@ApiBearerAuth()
@Controller('api/signals')
export class SignalsController {
  constructor(@Inject(SignalService) private readonly signals: SignalService) {}

  /** Trigger every signal catch and boundary event of this name waiting now, in any instance. */
  @ApiErrors(400, 403, 413)
  @Post('broadcast')
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  broadcast(@Body() body: BroadcastSignalDto): Promise<BroadcastResult> {
    return this.signals.broadcast(body.name, body.variables ?? {});
  }
}
