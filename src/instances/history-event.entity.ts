import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only audit trail: every step an instance took, who did it and with what data. */
@Entity('history_event')
export class HistoryEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ name: 'element_id', type: 'varchar', length: 255, nullable: true })
  elementId!: string | null;

  @Column({ name: 'element_name', type: 'varchar', length: 255, nullable: true })
  elementName!: string | null;

  @Column({ name: 'execution_id', type: 'varchar', length: 255, nullable: true })
  executionId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  actor!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  data!: JsonObject | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
