import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { JOB_QUEUE } from '../queue/job-queue.port.js';
import type { BullMqJobQueue } from '../queue/bullmq-job-queue.js';
import { AdminAuth } from './admin-auth.js';
import { QueueMonitorService } from './queue-monitor.service.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** bull-board over every queue the workers use, behind an administrator's sign-in. */
export function mountBullBoard(app: INestApplication): void {
  const queues = app.get<BullMqJobQueue>(JOB_QUEUE);
  const names = app.get(QueueMonitorService).names();
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: names.map((name) => new BullMQAdapter(queues.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Release flow queues' } },
  });
  app.use(BULL_BOARD_PATH, app.get(AdminAuth).middleware(), serverAdapter.getRouter());
}
