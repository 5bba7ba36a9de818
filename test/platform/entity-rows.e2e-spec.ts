import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, ensureDatabase, migrate } from '../../src/platform/database/data-source';
import { entitiesOf, selectColumns } from '../../src/platform/database/entity-rows';
import { UserEntity } from '../../src/identity/user.entity';
import { PslArtifactEntity } from '../../src/releases/psl/psl-artifact.entity';
import { ReleaseEntity } from '../../src/releases/release.entity';
import { ENTITIES } from '../../src/worker.module';
import { dropTestResources, newTestResources, withTestDatabase } from '../support/test-env';

/**
 * Hot read paths read rows with plain SQL and make them entities with entitiesOf: what they answer must be what the
 * ORM's hydration gave, value for value and key for key, over the column types those entities use.
 */
describe('rows read with plain SQL as entities', () => {
  const resources = newTestResources();
  let dataSource: DataSource;

  beforeAll(async () => {
    await withTestDatabase(resources, async () => {
      await ensureDatabase(resources.databaseUrl);
      dataSource = createDataSource(resources.databaseUrl, ENTITIES, 1);
      await dataSource.initialize();
      await migrate(dataSource);
    });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await dropTestResources(resources);
  });

  async function bothWays<T extends { id: string }>(target: new () => T, id: string) {
    const table = dataSource.getMetadata(target).tableName;
    const rows: Array<Record<string, unknown>> = await dataSource.query(
      `SELECT ${selectColumns(dataSource, target)} FROM ${table} WHERE id = $1`,
      [id],
    );
    const plain = entitiesOf(dataSource, target, rows)[0];
    const orm = await dataSource.getRepository(target).findOneBy({ id } as never);
    return { plain, orm };
  }

  it('given a user, a release and an artifact stored, then each reads as the ORM reads it, without the columns it never selects', async () => {
    const user = randomUUID();
    await dataSource.getRepository(UserEntity).insert({
      id: user,
      username: 'alice',
      displayName: 'Alice',
      email: null,
      passwordHash: 'secret-hash',
      roles: ['applicant', 'test-team'],
      active: true,
      tokenGeneration: 3,
    });
    const release = randomUUID();
    await dataSource.getRepository(ReleaseEntity).insert({
      id: release,
      number: 'REL-2026-0042',
      releaseClass: 'standard',
      source: 'software',
      title: '发布 4.2',
      status: 'in-progress',
      instanceId: null,
      request: { configurationItems: ['api', 'db'], nested: { n: 1.5, flag: false } } as never,
      createdBy: 'alice',
      closedAt: null,
      versionNumber: '4.2.0',
      plannedAt: new Date('2026-12-24T08:00:00.123Z'),
      installedAt: null,
      rolledBack: false,
      escalatedAt: null,
    });
    const artifact = randomUUID();
    await dataSource.getRepository(PslArtifactEntity).insert({
      id: artifact,
      releaseId: release,
      version: '4.2.0',
      name: 'payroll.tar.gz',
      size: '9007199254740993',
      sha256: 'a'.repeat(64),
      mediaType: 'application/gzip',
      status: 'uploaded',
      uploadedBy: 'alice',
      archivedAt: null,
      archiveJobId: null,
    });

    for (const [target, id] of [
      [UserEntity, user],
      [ReleaseEntity, release],
      [PslArtifactEntity, artifact],
    ] as const) {
      const { plain, orm } = await bothWays<{ id: string }>(target as never, id);
      expect(orm).not.toBeNull();
      expect(plain).toBeInstanceOf(target);
      expect(plain).toEqual(orm);
      expect(Object.keys(plain!)).toEqual(Object.keys(orm!));
      expect(JSON.stringify(plain)).toBe(JSON.stringify(orm));
    }
    const { plain: plainUser } = await bothWays<UserEntity>(UserEntity, user);
    expect(plainUser!.passwordHash).toBeUndefined();
  });
});
