import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What a key stands for; `ref` is the thing's id (a UUID, or a composite such as an instance id and a name). */
export type KeyKind =
  | 'process-definition'
  | 'process-instance'
  | 'element-instance'
  | 'user-task'
  | 'job'
  | 'incident'
  | 'decision-definition'
  | 'decision-requirements'
  | 'form'
  | 'message'
  | 'variable';

/** An instance's process and version, as Camunda's results name them beside every key. */
export interface InstanceDefinition {
  readonly instanceId: string;
  readonly definitionId: string;
  readonly processId: string;
  readonly version: number;
  readonly name: string;
}

/**
 * The int64 keys of the Camunda 8 REST API (table `camunda_key`): each thing gets its key on first sight and keeps
 * it. Keys leave as decimal strings (they exceed JavaScript's safe integers in Zeebe, and clients treat them as
 * strings).
 */
@Injectable()
export class CamundaKeyRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The keys of these things, assigned to those that have none yet: two statements at most, by the unique index. */
  async keysOf(kind: KeyKind, refs: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(refs)];
    const keys = new Map<string, string>();
    if (wanted.length === 0) return keys;
    const found: Array<{ key: string; ref: string }> = await this.dataSource.query(
      `SELECT key::text AS key, ref FROM camunda_key WHERE kind = $1 AND ref = ANY($2::text[])`,
      [kind, wanted],
    );
    for (const row of found) keys.set(row.ref, row.key);
    const missing = wanted.filter((ref) => !keys.has(ref));
    if (missing.length > 0) {
      // ON CONFLICT DO UPDATE returns the row another request inserted meanwhile too.
      const inserted: Array<{ key: string; ref: string }> = await this.dataSource.query(
        `INSERT INTO camunda_key (kind, ref) SELECT $1, unnest($2::text[])
         ON CONFLICT (kind, ref) DO UPDATE SET kind = EXCLUDED.kind
         RETURNING key::text AS key, ref`,
        [kind, missing],
      );
      for (const row of inserted) keys.set(row.ref, row.key);
    }
    return keys;
  }

  async keyOf(kind: KeyKind, ref: string): Promise<string> {
    return (await this.keysOf(kind, [ref])).get(ref)!;
  }

  /** What a key of this kind stands for; null for a key never handed out (or one of another kind). */
  async refOf(kind: KeyKind, key: string): Promise<string | null> {
    const rows: Array<{ ref: string }> = await this.dataSource.query(
      `SELECT ref FROM camunda_key WHERE key = $1::bigint AND kind = $2`,
      [key, kind],
    );
    return rows[0]?.ref ?? null;
  }

  /** A key that stands for nothing stored: a deployment, a signal broadcast, a decision evaluation. */
  async freshKey(): Promise<string> {
    const rows: Array<{ key: string }> = await this.dataSource.query(
      `SELECT nextval('camunda_key_seq')::text AS key`,
    );
    return rows[0]!.key;
  }

  /** The process and version each instance runs, in one statement. */
  async instanceDefinitions(instanceIds: readonly string[]): Promise<Map<string, InstanceDefinition>> {
    if (instanceIds.length === 0) return new Map();
    const rows: Array<{ id: string; definition_id: string; key: string; version: number; name: string }> =
      await this.dataSource.query(
        `SELECT i.id, i.definition_id, d.process_key AS key, d.version, d.name
           FROM process_instance i JOIN process_definition d ON d.id = i.definition_id
          WHERE i.id = ANY($1::uuid[])`,
        [[...new Set(instanceIds)]],
      );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          instanceId: r.id,
          definitionId: r.definition_id,
          processId: r.key,
          version: r.version,
          name: r.name,
        },
      ]),
    );
  }
}
