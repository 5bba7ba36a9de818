import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { JsonObject } from '../platform/json.js';

export type IncidentStatus = 'open' | 'resolved';

/**
 * What went wrong, in Camunda 8's words: a job ran out of retries; a job or an error end event threw a BPMN error
 * nothing catches; a gateway found no outgoing flow to take; a completion's output mappings failed (the completion
 * was taken, the element waits).
 */
export type IncidentErrorType =
  'JOB_NO_RETRIES' | 'UNHANDLED_ERROR_EVENT' | 'CONDITION_ERROR' | 'IO_MAPPING_ERROR';

/**
 * A job whose retries ran out, or an element that cannot go on (a gateway with no outgoing flow to take, a
 * completion whose output mappings failed, an error end event whose error nothing catches: none has a job of its
 * own): the instance waits until an operator retries or resolves it.
 */
@Entity('incident')
export class IncidentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId!: string;

  /** null for an element's incident (a gateway's). */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  /** The waiting execution an element's incident is at (its resolution evaluates the element again). */
  @Column({ name: 'execution_id', type: 'varchar', length: 255, nullable: true })
  executionId!: string | null;

  @Column({ name: 'element_id', type: 'varchar', length: 255 })
  elementId!: string;

  @Column({ name: 'job_type', type: 'varchar', length: 255, nullable: true })
  jobType!: string | null;

  @Column({ name: 'error_type', type: 'varchar', length: 32, default: 'JOB_NO_RETRIES' })
  errorType!: IncidentErrorType;

  @Column({ type: 'text' })
  error!: string;

  /** An IO_MAPPING_ERROR's completion variables: its resolution applies the output mappings to them again. */
  @Column({ type: 'jsonb', nullable: true })
  completion!: JsonObject | null;

  @Column({ type: 'int' })
  attempts!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: IncidentStatus;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 255, nullable: true })
  resolvedBy!: string | null;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;
}
