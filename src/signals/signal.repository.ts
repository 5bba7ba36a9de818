import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** An instance waiting in a signal catch or boundary event for a signal name. */
export interface SignalSubscription {
  readonly id: string;
  readonly instanceId: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly signalName: string;
}

interface SubscriptionRow {
  id: string;
  instance_id: string;
  element_id: string;
  execution_id: string;
  signal_name: string;
}

/** All SQL over signal_subscription. */
export class SignalRepository {
  /** The database's time now: a broadcast triggers the waits that opened until then. */
  async now(manager: EntityManager): Promise<Date> {
    const [row]: Array<{ now: Date }> = await manager.query('SELECT now() AS now');
    return row!.now;
  }

  async insertSubscriptions(
    manager: EntityManager,
    subscriptions: ReadonlyArray<Omit<SignalSubscription, 'id'>>,
  ): Promise<void> {
    if (subscriptions.length === 0) return;
    await manager.query(
      `INSERT INTO signal_subscription (id, instance_id, element_id, execution_id, signal_name)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[])`,
      [
        subscriptions.map(() => randomUUID()),
        subscriptions.map((s) => s.instanceId),
        subscriptions.map((s) => s.elementId),
        subscriptions.map((s) => s.executionId),
        subscriptions.map((s) => s.signalName),
      ],
    );
  }

  async deleteSubscriptions(manager: EntityManager, instanceId: string, executionIds: readonly string[]) {
    if (executionIds.length === 0) return;
    await manager.query('DELETE FROM signal_subscription WHERE instance_id = $1 AND execution_id = ANY($2)', [
      instanceId,
      executionIds,
    ]);
  }

  /** The next instances (by id, after `afterInstanceId`) with a wait for `name` that opened by `openedBy`. */
  async waitingInstances(
    manager: EntityManager,
    name: string,
    openedBy: Date,
    afterInstanceId: string,
    limit: number,
  ): Promise<string[]> {
    const rows: Array<{ instance_id: string }> = await manager.query(
      `SELECT DISTINCT instance_id FROM signal_subscription
        WHERE signal_name = $1 AND created_at <= $2 AND instance_id > $3
        ORDER BY instance_id LIMIT $4`,
      [name, openedBy, afterInstanceId, limit],
    );
    return rows.map((r) => r.instance_id);
  }

  /** Remove and hand back an instance's waits for `name` that opened by `openedBy`, oldest first. */
  async takeSubscriptions(
    manager: EntityManager,
    instanceId: string,
    name: string,
    openedBy: Date,
  ): Promise<SignalSubscription[]> {
    const [rows]: [Array<SubscriptionRow & { created_at: Date }>, number] = await manager.query(
      `DELETE FROM signal_subscription WHERE instance_id = $1 AND signal_name = $2 AND created_at <= $3
        RETURNING id, instance_id, element_id, execution_id, signal_name, created_at`,
      [instanceId, name, openedBy],
    );
    return rows
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id))
      .map((row) => ({
        id: row.id,
        instanceId: row.instance_id,
        elementId: row.element_id,
        executionId: row.execution_id,
        signalName: row.signal_name,
      }));
  }
}
