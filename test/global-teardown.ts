import { TEMPLATE_DATABASE_ENV, withAdminClient } from './support/test-env';

/** Drops this run's template database (once, though each project runs this teardown). */
export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (!template) return;
  delete process.env[TEMPLATE_DATABASE_ENV];
  await withAdminClient(async (client) => {
    await client.query(`ALTER DATABASE "${template}" IS_TEMPLATE false`);
    await client.query(`DROP DATABASE IF EXISTS "${template}"`);
  });
}
