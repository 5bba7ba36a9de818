import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-user token generation: every access token carries the generation it was signed in, and the auth guard
 * (which reads the user row by primary key on each request anyway) refuses a token of an older generation.
 * Raising it ends every session of the user at once: password change, deactivation, "sign out everywhere".
 */
export class TokenGeneration1795700000000 implements MigrationInterface {
  name = 'TokenGeneration1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE app_user ADD COLUMN token_generation integer NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE app_user DROP COLUMN IF EXISTS token_generation`);
  }
}
