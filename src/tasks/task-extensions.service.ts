import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InvalidInputError } from '../platform/errors.js';
import { segregationNeeds, type SegregationFacts, type SegregationNeeds } from './segregation.js';

export type { SegregationFacts, SegregationNeeds } from './segregation.js';
import type { TaskListColumn, TaskListPredicate } from './task.repository.js';
import type { UserTaskEntity } from './user-task.entity.js';

/** Filter names of `GET /api/tasks` that a feature may contribute. */
export type TaskFilterName = 'class' | 'release';

/** A filter of the task list contributed by the feature that knows what it means (a release's class). */
export interface TaskListFilter {
  readonly name: TaskFilterName;
  /** The values the filter accepts, any other being a 400 naming the parameter; undefined: any value. */
  readonly values?: readonly string[];
  /** SQL over the task row `t` (its `business_key`, `process_key`), with the value bound as `:value`. */
  readonly sql: string;
}

/**
 * What a feature adds to each task it owns in a list or a detail (a release's number and title): SQL over the task
 * row `t`, read in the list's own statement (see TaskListColumn).
 */
export type TaskDescriber = TaskListColumn;

/** Told, inside the transaction that escalated it, that a task went to an escalation group. */
export interface TaskEscalationListener {
  onTaskEscalated(manager: EntityManager, task: UserTaskEntity): Promise<void>;
}

/** The facts segregation of duties needs about a task's case, from the feature that owns the case. */
export interface TaskCompletionPolicy {
  /**
   * The facts for this task, or null when the task is not this feature's; only those `needs` names are read (the
   * others may be left empty).
   */
  segregationFacts(task: UserTaskEntity, needs: SegregationNeeds): Promise<SegregationFacts | null>;
}

const NO_FACTS: SegregationFacts = { applicant: null, builders: new Set() };

/**
 * What features register with the inbox: list filters and completion policies. The inbox stays ignorant of
 * releases; the release application tells it what a class is and who filed and built a release.
 */
@Injectable()
export class TaskExtensions {
  private readonly filters = new Map<TaskFilterName, TaskListFilter>();
  private readonly policies: TaskCompletionPolicy[] = [];
  private readonly searches: string[] = [];
  private readonly describers: TaskDescriber[] = [];
  private readonly escalationListeners: TaskEscalationListener[] = [];

  addFilter(filter: TaskListFilter): void {
    if (this.filters.has(filter.name)) throw new Error(`task filter ${filter.name} is registered twice`);
    this.filters.set(filter.name, filter);
  }

  addCompletionPolicy(policy: TaskCompletionPolicy): void {
    this.policies.push(policy);
  }

  /**
   * Text the list's search (`q`) also looks in: SQL over the task row `t` with `:value` bound to an ILIKE
   * pattern (a release's number and title). The task's own step name is always searched.
   */
  addSearch(sql: string): void {
    this.searches.push(sql);
  }

  addDescriber(describer: TaskDescriber): void {
    if (this.describers.some((d) => d.field === describer.field))
      throw new Error(`task field ${describer.field} is described twice`);
    this.describers.push(describer);
  }

  addEscalationListener(listener: TaskEscalationListener): void {
    this.escalationListeners.push(listener);
  }

  /** The contributed search clauses (see addSearch). */
  searchClauses(): readonly string[] {
    return this.searches;
  }

  /** Every describer's column. */
  columns(): readonly TaskListColumn[] {
    return this.describers;
  }

  async escalated(manager: EntityManager, task: UserTaskEntity): Promise<void> {
    for (const listener of this.escalationListeners) await listener.onTaskEscalated(manager, task);
  }
  /** The SQL predicates of the contributed filters the query names; 400 for a value a filter does not know. */
  predicates(query: Partial<Record<TaskFilterName, string>>): TaskListPredicate[] {
    const predicates: TaskListPredicate[] = [];
    for (const [name, value] of Object.entries(query) as Array<[TaskFilterName, string | undefined]>) {
      if (value === undefined) continue;
      const filter = this.filters.get(name);
      if (!filter || (filter.values && !filter.values.includes(value))) {
        const allowed = filter?.values ? `one of ${filter.values.join(', ')}` : 'not a filter here';
        throw new InvalidInputError(`${name} must be ${allowed}`, [
          { field: name, message: `must be ${allowed}` },
        ]);
      }
      predicates.push({ sql: filter.sql, value });
    }
    return predicates;
  }

  /**
   * The first registered policy's facts for the task; none when no feature claims it, or when the rule needs none
   * for the task's form (then nothing is asked).
   */
  async segregationFacts(task: UserTaskEntity): Promise<SegregationFacts> {
    const needs = segregationNeeds(task.formKey);
    if (!needs.applicant && !needs.builders) return NO_FACTS;
    for (const policy of this.policies) {
      const facts = await policy.segregationFacts(task, needs);
      if (facts) return facts;
    }
    return NO_FACTS;
  }
}
