import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { SIGNAL_BROADCAST_JOB_TYPE } from '../engine/index.js';
import { JobHandlerFor } from '../queue/job-handler.decorators.js';
import type { JobContext, JobHandler, JobResult } from '../queue/job-handler.port.js';
import { SignalService } from './signal.service.js';

/**
 * A signal throw or end event: its signal is broadcast once the state that reached it is saved (the job comes
 * through the outbox, so a crash loses no broadcast). The broadcast takes every other instance under its own lock,
 * so the job records its outcome first and completes after (`peers`); the throwing instance goes on then.
 */
@Injectable()
@JobHandlerFor({ effects: 'peers' })
export class SignalThrowHandler implements JobHandler {
  readonly jobType = SIGNAL_BROADCAST_JOB_TYPE;

  constructor(@Inject(SignalService) private readonly signals: SignalService) {}

  async handle(context: JobContext): Promise<JobResult> {
    const name = context.headers.signalName;
    if (!name) throw new UnrecoverableError(`${context.elementId}: the signal event names no signal`);
    const result = await this.signals.broadcast(name, {});
    return {
      outcome: {
        signalKey: result.signalKey,
        name,
        triggered: result.triggered.length,
        failed: result.failed.length,
      },
    };
  }
}
