import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Logger as PinoLogger } from 'nestjs-pino';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { logProcessFaults } from './platform/process-faults.js';
import { configureApp } from './configure-app.js';
import { startZeroSetup, stopZeroSetup } from './platform/embedded/zero-setup.js';

/** The API, and by default the workers too: one command runs everything. */
async function main(): Promise<void> {
  logProcessFaults();
  const config = loadConfig();
  await startZeroSetup(config); // DATABASE_URL unset: embedded PostgreSQL, and Redis found or started
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  configureApp(app);
  await app.listen(config.port, '0.0.0.0');
  Logger.log(`listening on port ${config.port}${config.runWorkers ? ' (with workers)' : ''}`, 'main');
}

main().catch(async (err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  await stopZeroSetup().catch(() => undefined);
  process.exit(1);
});
