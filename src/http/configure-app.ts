import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, text } from 'express';
import { MAX_BPMN_BYTES } from '../definitions/definition.service.js';
import { mountBullBoard } from '../monitoring/bull-board.js';
import { ErrorFilter } from './error.filter.js';
import { validationPipe } from './validation.js';

/** HTTP concerns shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): void {
  app.use(json({ limit: '1mb' }));
  app.use(text({ type: ['application/xml', 'text/xml', 'application/bpmn+xml'], limit: MAX_BPMN_BYTES }));
  app.useGlobalPipes(validationPipe);
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  mountBullBoard(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Release flow')
      .setDescription('Release management: the release procedure run as BPMN flows')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
