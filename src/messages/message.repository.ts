import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** A subscription: an instance waiting in a message catch event or receive task for a name and correlation key. */
export interface MessageSubscription {
  readonly id: string;
  readonly instanceId: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly messageName: string;
  readonly correlationKey: string;
}

/** A published message as stored: buffered until correlated or expired. */
export interface StoredMessage {
  readonly id: string;
  readonly name: string;
  readonly correlationKey: string;
  readonly variables: Record<string, unknown>;
}

export interface NewMessage {
  readonly name: string;
  readonly correlationKey: string;
  readonly messageId: string | null;
  readonly variables: Record<string, unknown>;
  readonly timeToLiveMs: number;
}

interface SubscriptionRow {
  id: string;
  instance_id: string;
  element_id: string;
  execution_id: string;
  message_name: string;
  correlation_key: string;
}

const subscriptionOf = (row: SubscriptionRow): MessageSubscription => ({
  id: row.id,
  instanceId: row.instance_id,
  elementId: row.element_id,
  executionId: row.execution_id,
  messageName: row.message_name,
  correlationKey: row.correlation_key,
});

/** All SQL over message_subscription and message. */
export class MessageRepository {
  /**
   * Serialise everything that correlates one name and key for the rest of the transaction: a message published and
   * a subscription opened at the same moment cannot miss each other.
   */
  async lockKey(manager: EntityManager, name: string, correlationKey: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [
      JSON.stringify(['message', name, correlationKey]),
    ]);
  }

  /** The oldest subscription waiting for a name and key (read without a lock: confirm it under the instance's). */
  async firstSubscription(
    manager: EntityManager,
    name: string,
    correlationKey: string,
  ): Promise<MessageSubscription | null> {
    const rows: SubscriptionRow[] = await manager.query(
      `SELECT id, instance_id, element_id, execution_id, message_name, correlation_key FROM message_subscription
        WHERE message_name = $1 AND correlation_key = $2 ORDER BY created_at, id LIMIT 1`,
      [name, correlationKey],
    );
    return rows[0] ? subscriptionOf(rows[0]) : null;
  }

  /** Remove a subscription; false when it was gone already (another message took it). */
  async takeSubscription(manager: EntityManager, id: string): Promise<boolean> {
    const [, count]: [unknown, number] = await manager.query(
      'DELETE FROM message_subscription WHERE id = $1',
      [id],
    );
    return count > 0;
  }

  async insertSubscriptions(
    manager: EntityManager,
    subscriptions: ReadonlyArray<Omit<MessageSubscription, 'id'>>,
  ): Promise<void> {
    if (subscriptions.length === 0) return;
    await manager.query(
      `INSERT INTO message_subscription (id, instance_id, element_id, execution_id, message_name, correlation_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[])`,
      [
        subscriptions.map(() => randomUUID()),
        subscriptions.map((s) => s.instanceId),
        subscriptions.map((s) => s.elementId),
        subscriptions.map((s) => s.executionId),
        subscriptions.map((s) => s.messageName),
        subscriptions.map((s) => s.correlationKey),
      ],
    );
  }

  async deleteSubscriptions(manager: EntityManager, instanceId: string, executionIds: readonly string[]) {
    if (executionIds.length === 0) return;
    await manager.query(
      'DELETE FROM message_subscription WHERE instance_id = $1 AND execution_id = ANY($2)',
      [instanceId, executionIds],
    );
  }

  async subscriptionsOf(manager: EntityManager, instanceId: string): Promise<MessageSubscription[]> {
    const rows: SubscriptionRow[] = await manager.query(
      `SELECT id, instance_id, element_id, execution_id, message_name, correlation_key FROM message_subscription
        WHERE instance_id = $1 ORDER BY created_at, id`,
      [instanceId],
    );
    return rows.map(subscriptionOf);
  }

  /** Whether a message with this id was published under this name and has not expired. */
  async isDuplicate(manager: EntityManager, name: string, messageId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM message WHERE name = $1 AND message_id = $2 AND expires_at > now() LIMIT 1',
      [name, messageId],
    );
    return rows.length > 0;
  }

  /** Record a message: correlated at once (`instance`), or buffered until its time to live ends. */
  async insertMessage(
    manager: EntityManager,
    message: NewMessage,
    correlated: { instanceId: string; elementId: string } | null,
  ): Promise<string> {
    const id = randomUUID();
    await manager.query(
      `INSERT INTO message (id, name, correlation_key, message_id, variables, expires_at, correlated_at, instance_id,
                            element_id)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::double precision / 1000),
               CASE WHEN $7::uuid IS NULL THEN NULL ELSE now() END, $7, $8)`,
      [
        id,
        message.name,
        message.correlationKey,
        message.messageId,
        JSON.stringify(message.variables),
        message.timeToLiveMs,
        correlated?.instanceId ?? null,
        correlated?.elementId ?? null,
      ],
    );
    return id;
  }

  /**
   * The oldest buffered, unexpired message of one of `names` with this key, locked (skipping one another transaction
   * holds); null when none waits. Mark it with `markCorrelated` once it found its instance.
   */
  async oldestBuffered(
    manager: EntityManager,
    names: readonly string[],
    correlationKey: string,
  ): Promise<StoredMessage | null> {
    const rows: Array<{ id: string; name: string; variables: Record<string, unknown> }> = await manager.query(
      `SELECT id, name, variables FROM message
        WHERE name = ANY($1) AND correlation_key = $2 AND correlated_at IS NULL AND expires_at > now()
        ORDER BY published_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [names, correlationKey],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, correlationKey, variables: row.variables } : null;
  }

  async markCorrelated(manager: EntityManager, messageId: string, instanceId: string, elementId: string) {
    await manager.query(
      'UPDATE message SET correlated_at = now(), instance_id = $2, element_id = $3 WHERE id = $1',
      [messageId, instanceId, elementId],
    );
  }

  /** Take the oldest buffered, unexpired message for a name and key for an instance; null when none waits. */
  async takeBuffered(
    manager: EntityManager,
    name: string,
    correlationKey: string,
    instanceId: string,
    elementId: string,
  ): Promise<StoredMessage | null> {
    const [rows]: [Array<{ id: string; variables: Record<string, unknown> }>, number] = await manager.query(
      `UPDATE message SET correlated_at = now(), instance_id = $3, element_id = $4
        WHERE id = (SELECT id FROM message
                     WHERE name = $1 AND correlation_key = $2 AND correlated_at IS NULL AND expires_at > now()
                     ORDER BY published_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, variables`,
      [name, correlationKey, instanceId, elementId],
    );
    const row = rows[0];
    return row ? { id: row.id, name, correlationKey, variables: row.variables } : null;
  }
}
