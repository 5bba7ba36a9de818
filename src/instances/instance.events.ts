import type { EntityManager } from 'typeorm';
import type { ElementInfo } from '../engine/index.js';
import type { HistoryRecord } from './instance.repository.js';
import type { ProcessInstanceEntity, StoredWait } from './process-instance.entity.js';

/** What the deployed model says of a user task (its zeebe extensions). */
export interface UserTaskModel {
  readonly name?: string;
  readonly candidateGroups: readonly string[];
  readonly formKey?: string;
  readonly dueDate?: string;
  readonly priority?: number;
}

/** A user task the engine started waiting in during this pass. */
export interface OpenedUserTask {
  readonly elementId: string;
  readonly executionId: string;
  /** The element as the deployed model describes it (name, candidate groups, form, due date, priority). */
  readonly element: UserTaskModel | undefined;
}

/** What changed among an instance's user-task waits in one pass (or at its cancellation). */
export interface WaitChange {
  readonly instance: ProcessInstanceEntity;
  /** The process variables after the pass (due dates may be expressions over them). */
  readonly variables: Record<string, unknown>;
  readonly opened: readonly OpenedUserTask[];
  /** Waits that are gone without being completed through `completeTask`: withdrawn. */
  readonly closed: { readonly executionIds: readonly string[]; readonly status: 'completed' | 'cancelled' };
  /** Every wait of any kind the pass opened (user tasks included), with its element. */
  readonly openedWaits?: readonly OpenedWait[];
  /** Every wait of any kind the pass closed, however it ended. */
  readonly closedWaits?: readonly StoredWait[];
  /** Timer waits that fired in the pass (not withdrawn), with the activity a boundary timer is attached to. */
  readonly firedTimers?: readonly FiredTimer[];
}

/** A timer that fired: a boundary timer names the activity it is attached to. */
export interface FiredTimer {
  readonly elementId: string;
  readonly executionId: string;
  readonly attachedTo?: string;
}

/** A wait of any kind the engine started in a pass. */
export interface OpenedWait {
  readonly elementId: string;
  readonly executionId: string;
  readonly kind: StoredWait['kind'];
  readonly element: ElementInfo | undefined;
  /** Its local variables (input mappings, a multi-instance inner instance's element, a sub-process's scope). */
  readonly variables?: Record<string, unknown>;
}

/**
 * What a listener asks the instance to do next, in the same transaction: complete a wait that the listener found
 * already satisfied when it opened (a buffered message for a new subscription).
 */
export interface FollowUp {
  readonly elementId: string;
  readonly executionId: string;
  readonly variables: Record<string, unknown>;
  readonly history: HistoryRecord;
}

/**
 * Told, inside the instance's transaction and in registration order, what an instance's pass did: lets
 * records follow their process. The task inbox owns the user-task rows this way; a release follows its
 * instance's variables and end.
 */
export interface InstanceListener {
  /**
   * The user-task waits this listener holds open for the instance, read before a pass: the engine announces
   * them again on resume, and they are not new.
   */
  openWaits?(manager: EntityManager, instanceId: string): Promise<readonly string[]>;
  onWaitsChanged?(manager: EntityManager, change: WaitChange): Promise<void | readonly FollowUp[]>;
  /** `previous`: the variables and status before the pass, so a listener reads its record only on a change. */
  onInstanceSaved?(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    previous: InstanceBefore,
  ): Promise<void>;
}

/** An instance's variables and status before a pass. */
export interface InstanceBefore {
  readonly variables: Readonly<Record<string, unknown>>;
  readonly status: string;
}

/** What the instance view shows of an open user task. */
export interface UserTaskSummary {
  readonly id: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly name: string | null;
  readonly createdAt: Date;
  readonly dueAt: Date | null;
}

/** Reads an instance's open user tasks, oldest first, for its view: the task inbox owns them. */
export interface OpenTaskReader {
  openTasksOf(instanceId: string): Promise<readonly UserTaskSummary[]>;
}
