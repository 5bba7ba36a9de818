import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Logger as PinoLogger } from 'nestjs-pino';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from './config/app-config.js';
import { logProcessFaults } from './platform/process-faults.js';
import { WorkerModule } from './worker.module.js';

/** Queue workers only, no HTTP: run as many as the load needs. */
async function main(): Promise<void> {
  logProcessFaults();
  const config = { ...loadConfig(), runWorkers: true };
  if (config.databaseUrl === undefined) {
    throw new ConfigError(
      'The worker needs DATABASE_URL (and REDIS_URL): set them to the PostgreSQL and Redis the API uses.\n' +
        'With DATABASE_URL unset, `npm start` runs an embedded PostgreSQL that only its own process can use, ' +
        'and runs the workers itself (RUN_WORKERS=true).',
    );
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  app.enableShutdownHooks();
  Logger.log('workers running', 'worker');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
