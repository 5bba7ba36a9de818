import type { EntityManager } from 'typeorm';

let counter = 0;

/**
 * Run `work` inside a savepoint of the caller's transaction: when it throws, what it wrote is undone and the
 * transaction goes on (the error is rethrown for the caller to handle); when it succeeds, the savepoint is released.
 */
export async function withSavepoint<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
  counter = (counter + 1) % 1_000_000;
  const name = `sp_${counter}`;
  await manager.query(`SAVEPOINT ${name}`);
  try {
    const result = await work();
    await manager.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}
