import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { configureApp } from './http/configure-app.js';

/** The API, and by default the workers too: one command runs everything. */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false });
  configureApp(app);
  await app.listen(config.port, '0.0.0.0');
  Logger.log(`listening on port ${config.port}${config.runWorkers ? ' (with workers)' : ''}`, 'main');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
