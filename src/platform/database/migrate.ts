import { loadConfig } from '../../config/app-config.js';
import { createDataSource, ensureDatabase, migrate } from './data-source.js';

/** `npm run migration:run`: apply pending migrations and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.databaseUrl === undefined) {
    throw new Error(
      'migration:run needs DATABASE_URL. With it unset, `npm start` migrates its embedded database itself.',
    );
  }
  await ensureDatabase(config.databaseUrl);
  const dataSource = createDataSource(config.databaseUrl, [], 1);
  await dataSource.initialize();
  try {
    await migrate(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
