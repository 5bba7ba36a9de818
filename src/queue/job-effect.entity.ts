import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a job handler was asked to do, recorded once per job: the proof that no effect happens twice. */
@Entity('job_effect')
export class JobEffectEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'job_type', type: 'varchar', length: 255 })
  jobType!: string;

  @Column({ name: 'instance_id', type: 'uuid' })
  instanceId!: string;

  @Column({ name: 'element_id', type: 'varchar', length: 255 })
  elementId!: string;

  @Column({ type: 'jsonb' })
  request!: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
