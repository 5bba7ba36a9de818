import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryStatus = 'sending' | 'sent' | 'failed';

/** One call to a peer made by a job (a mail, a webhook post, an external-CMDB push, a rollback hook call). */
@Entity('outbound_delivery')
export class OutboundDeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'job_type', type: 'varchar', length: 255 })
  jobType!: string;

  @Column({ name: 'release_id', type: 'uuid', nullable: true })
  releaseId!: string | null;

  /** email, webhook:generic, webhook:wecom, webhook:dingtalk, webhook:feishu, cmdb-push, rollback-hook */
  @Column({ type: 'varchar', length: 32 })
  channel!: string;

  /** The recipient address, or the peer's URL. */
  @Column({ type: 'varchar', length: 500 })
  target!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'jsonb', nullable: true })
  request!: JsonObject | null;

  @Column({ type: 'jsonb', nullable: true })
  response!: JsonObject | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt!: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
