import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface Recipient {
  readonly username: string | null;
  readonly displayName: string;
  readonly email: string | null;
}

/** Active users by role or by username (table app_user). */
@Injectable()
export class RecipientRepository {
  async find(
    manager: EntityManager,
    roles: readonly string[],
    usernames: readonly string[],
  ): Promise<Recipient[]> {
    if (roles.length === 0 && usernames.length === 0) return [];
    const rows: Array<{ username: string; display_name: string; email: string | null }> = await manager.query(
      `SELECT username, display_name, email FROM app_user
        WHERE active AND (roles && $1::text[] OR username = ANY($2::text[]))
        ORDER BY username`,
      [[...roles], usernames.map((u) => u.toLowerCase())],
    );
    return rows.map((r) => ({ username: r.username, displayName: r.display_name, email: r.email }));
  }
}
