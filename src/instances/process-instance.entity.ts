import type { WaitKind } from '../engine/index.js';
import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type InstanceStatus = 'running' | 'completed' | 'cancelled';

/** A wait the instance stands in after its last pass; `jobId` for the waits a job serves (service tasks, timers). */
export interface StoredWait {
  readonly executionId: string;
  readonly elementId: string;
  readonly kind: WaitKind;
  readonly jobId?: string;
  /** Its local variables (a multi-instance inner instance's element and loop counter): its job sees them. */
  readonly variables?: Record<string, unknown>;
}

@Entity('process_instance')
export class ProcessInstanceEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'definition_id', type: 'uuid' })
  definitionId!: string;

  @Column({ name: 'process_key', type: 'varchar', length: 255 })
  processKey!: string;

  @Column({ name: 'business_key', type: 'varchar', length: 255, nullable: true })
  businessKey!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: InstanceStatus;

  /** The releaseStatus of the end event it finished at (closed, rejected, rolled-back), or cancelled. */
  @Column({ name: 'end_status', type: 'varchar', length: 32, nullable: true })
  endStatus!: string | null;

  /** bpmn-engine state without the definition source. */
  @Column({ name: 'engine_state', type: 'jsonb', nullable: true })
  engineState!: JsonObject | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  variables!: JsonObject;

  /** Null for instances last saved before waits were stored: their open tasks and pending jobs say it. */
  @Column({ type: 'jsonb', nullable: true })
  waits!: StoredWait[] | null;

  /** Variables set at start from the record (release number, class, ...): tasks and jobs may not change them. */
  @Column({ name: 'read_only_variables', type: 'text', array: true, default: () => "'{}'" })
  readOnlyVariables!: string[];

  /** Incremented on every saved run: the history and the tests can see each change once. */
  @Column({ type: 'int', default: 0 })
  revision!: number;

  /** Its open incidents: a pass resolves those of the waits it leaves only when there are some. */
  @Column({ name: 'open_incidents', type: 'int', default: 0 })
  openIncidents!: number;

  /** For the child of a call activity: the instance that called it, and the call activity's wait there. */
  @Column({ name: 'parent_instance_id', type: 'uuid', nullable: true })
  parentInstanceId!: string | null;

  @Column({ name: 'parent_execution_id', type: 'varchar', length: 255, nullable: true })
  parentExecutionId!: string | null;

  /** The correlation key of the message that started it at a message start event (one running instance per key). */
  @Column({ name: 'start_correlation_key', type: 'varchar', length: 255, nullable: true })
  startCorrelationKey!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
