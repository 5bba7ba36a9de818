import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type UserTaskStatus = 'open' | 'completed' | 'cancelled';

/** A user task waiting for a person: the inbox. */
@Entity('user_task')
export class UserTaskEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId!: string;

  @Column({ name: 'process_key', type: 'varchar', length: 255 })
  processKey!: string;

  @Column({ name: 'business_key', type: 'varchar', length: 255, nullable: true })
  businessKey!: string | null;

  @Column({ name: 'element_id', type: 'varchar', length: 255 })
  elementId!: string;

  @Column({ name: 'execution_id', type: 'varchar', length: 255 })
  executionId!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ name: 'candidate_groups', type: 'text', array: true, default: () => "'{}'" })
  candidateGroups!: string[];

  @Column({ name: 'form_key', type: 'varchar', length: 255, nullable: true })
  formKey!: string | null;

  /** The version of the deployed form the task was created with (the latest then); null: none, or embedded. */
  @Column({ name: 'form_version', type: 'int', nullable: true })
  formVersion!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  assignee!: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: UserTaskStatus;

  @Column({ type: 'int', default: 50 })
  priority!: number;

  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  output!: JsonObject | null;

  @Column({ name: 'completed_by', type: 'varchar', length: 255, nullable: true })
  completedBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** When the task's time ran out and it went to an escalation group (null: never escalated). */
  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true })
  escalatedAt!: Date | null;

  @Column({ name: 'escalated_to', type: 'varchar', length: 100, nullable: true })
  escalatedTo!: string | null;
}
