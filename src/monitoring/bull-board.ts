import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express } from 'express';
import {
  contentSecurityPolicy,
  QUEUE_BOARD_CONTENT_SECURITY_POLICY,
} from '../platform/http/security-headers.js';
import { QUEUE_INSPECTOR, type QueueInspector } from '../queue/queue-inspector.port.js';
import { AdminAuth } from './admin-auth.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * bull-board over every queue the workers use, behind an administrator's sign-in, with its own content security
 * policy (its pages need styles and fonts the API's policy refuses). Mounted by monitoring itself when the application serves HTTP; a
 * worker process has no HTTP server and no board.
 */
@Injectable()
export class QueueBoard implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
    @Inject(QUEUE_INSPECTOR) private readonly queues: QueueInspector,
    @Inject(AdminAuth) private readonly adminAuth: AdminAuth,
  ) {}

  onModuleInit(): void {
    const adapter = this.http.httpAdapter as { getInstance(): Express } | undefined;
    if (!adapter) return;
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: this.queues.bullQueues().map((queue) => new BullMQAdapter(queue)),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Release flow queues' } },
    });
    adapter
      .getInstance()
      .use(
        BULL_BOARD_PATH,
        contentSecurityPolicy(QUEUE_BOARD_CONTENT_SECURITY_POLICY),
        this.adminAuth.middleware(),
        serverAdapter.getRouter(),
      );
  }
}
