import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type JobKind = 'service-task' | 'timer';
export type JobStatus = 'pending' | 'completed' | 'failed' | 'cancelled';

/**
 * Work an instance waits for: a service task's job, or a timer. Keyed by the activity execution it belongs to. A
 * timer start event's schedule is a timer of a definition version instead (no instance runs yet).
 */
@Entity('job')
export class JobEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Null only for a timer start event's timer, which belongs to `definitionId`. */
  @Column({ name: 'instance_id', type: 'uuid', nullable: true })
  instanceId!: string | null;

  /** The definition version whose timer start event this timer fires; null for an instance's jobs. */
  @Column({ name: 'definition_id', type: 'uuid', nullable: true })
  definitionId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  kind!: JobKind;

  @Column({ name: 'job_type', type: 'varchar', length: 255 })
  jobType!: string;

  @Column({ name: 'element_id', type: 'varchar', length: 255 })
  elementId!: string;

  @Column({ name: 'execution_id', type: 'varchar', length: 255 })
  executionId!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  headers!: Record<string, string>;

  @Column({ type: 'varchar', length: 16 })
  status!: JobStatus;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts!: number;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  result!: JsonObject | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** The external worker that activated the job last (POST /api/jobs/activate); null for the service's own. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  worker!: string | null;

  /** Until when that worker holds it: past this, another activation may take it. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /** A job an external worker failed with retries left is not activated again before this. */
  @Column({ name: 'retry_at', type: 'timestamptz', nullable: true })
  retryAt!: Date | null;
}
