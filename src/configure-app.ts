import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, raw, type Application } from 'express';
import { problemDetails } from './camunda-api/camunda-api.module.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { ErrorFilter } from './platform/http/error.filter.js';
import { HostileInputPipe, refuseDeepJson } from './platform/http/hostile-input.js';
import {
  contentSecurityPolicy,
  noStore,
  securityHeaders,
  SWAGGER_CONTENT_SECURITY_POLICY,
} from './platform/http/security-headers.js';
import { validationPipe } from './platform/http/validation.js';

const SWAGGER_PATH = 'api/docs';

/** HTTP concerns shared by main.ts and the e2e tests. */
export function configureApp(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  // The client's address (sign-in throttling) comes from X-Forwarded-For only through the proxies named.
  (app.getHttpAdapter().getInstance() as Application).set(
    'trust proxy',
    typeof config.trustProxy === 'object' ? [...config.trustProxy] : config.trustProxy,
  );
  app.use(securityHeaders());
  app.use(noStore);
  app.use(`/${SWAGGER_PATH}`, contentSecurityPolicy(SWAGGER_CONTENT_SECURITY_POLICY));
  // The Camunda 8 REST API answers errors as problem details, a body the parser refuses included.
  app.use('/v2', problemDetails);
  app.use(json({ limit: '1mb', verify: refuseDeepJson(config.jsonMaxDepth) }));
  // XML as bytes: the definitions read them in the encoding the file declares (ISO-8859-1, GBK, ...).
  app.use(
    raw({
      type: ['application/xml', 'text/xml', 'application/bpmn+xml'],
      limit: config.definitions.maxBpmnBytes,
    }),
  );
  // Hostile strings and keys are refused before DTO validation turns bodies into class instances.
  app.useGlobalPipes(new HostileInputPipe(), validationPipe);
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  // Built on the first request for it, not at every start.
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Release flow')
        .setDescription(
          'Release management: the release procedure run as BPMN flows. The Camunda 8 REST API subset under /v2 ' +
            "is left out here: Camunda's own specification describes it (the README lists what is supported).",
        )
        .setVersion('0.1.0')
        .addBearerAuth()
        .build(),
    );
  SwaggerModule.setup(SWAGGER_PATH, app, document, { jsonDocumentUrl: 'api/docs-json' });
}
