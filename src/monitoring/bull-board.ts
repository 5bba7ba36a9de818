import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUE_INSPECTOR, type QueueInspector } from '../queue/queue-inspector.port.js';
import { AdminAuth } from './admin-auth.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** bull-board over every queue the workers use, behind an administrator's sign-in. */
export function mountBullBoard(app: INestApplication): void {
  const queues = app.get<QueueInspector>(QUEUE_INSPECTOR);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.bullQueues().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Release flow queues' } },
  });
  app.use(BULL_BOARD_PATH, app.get(AdminAuth).middleware(), serverAdapter.getRouter());
}
