import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

type LoggedRequest = IncomingMessage & {
  id?: string;
  user?: { username?: string };
  params?: Record<string, string | undefined>;
};

/**
 * Structured JSON logs: every request line carries its request id (kept from X-Request-Id or made), the user,
 * and the release, instance, task or incident it was about. Tokens and passwords are never logged.
 */
export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('x-request-id', id);
        return id;
      },
      customProps: (request: IncomingMessage) => {
        const { user, params = {} } = request as LoggedRequest;
        const path = request.url ?? '';
        const id = params.id ?? params.idOrNumber;
        return {
          user: user?.username,
          releaseId: path.startsWith('/api/releases/') ? id : undefined,
          instanceId: path.startsWith('/api/process-instances/') ? id : undefined,
          taskId: path.startsWith('/api/tasks/') ? id : undefined,
          incidentId: path.startsWith('/api/incidents/') ? id : undefined,
        };
      },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body.password'],
      autoLogging: { ignore: (request: IncomingMessage) => (request.url ?? '').startsWith('/health') },
    },
  });
}
