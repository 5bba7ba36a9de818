import { Column, Entity, PrimaryColumn } from 'typeorm';

export type IncidentStatus = 'open' | 'resolved';

/** A job whose retries ran out: the instance waits until an operator retries or resolves it. */
@Entity('incident')
export class IncidentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'element_id', type: 'varchar', length: 255 })
  elementId!: string;

  @Column({ name: 'job_type', type: 'varchar', length: 255 })
  jobType!: string;

  @Column({ type: 'text' })
  error!: string;

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
