import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ConfigError, loadConfig } from './config/app-config.js';

/** Queue workers only, no HTTP: run as many as the load needs. */
async function main(): Promise<void> {
  const config = { ...loadConfig(), runWorkers: true };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config));
  app.enableShutdownHooks();
  Logger.log('workers running', 'worker');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
