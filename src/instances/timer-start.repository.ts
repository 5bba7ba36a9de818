import type { EntityManager } from 'typeorm';
import { JobEntity } from '../queue/job.entity.js';

/** The SQL of timer start events' timers: jobs of a definition version (no instance), kind `timer`. */
export class TimerStartRepository {
  /** Lock a timer start event's timer for its firing; null when it is no such timer. */
  async lock(manager: EntityManager, jobId: string): Promise<JobEntity | null> {
    const rows: JobEntity[] = await manager
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .setLock('pessimistic_write')
      .where('j.id = :jobId AND j.definition_id IS NOT NULL AND j.instance_id IS NULL', { jobId })
      .getMany();
    return rows[0] ?? null;
  }

  /** Whether a job is a timer start event's timer (read without a lock: the firing locks it). */
  async isStartTimer(manager: EntityManager, jobId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      'SELECT 1 FROM job WHERE id = $1 AND definition_id IS NOT NULL AND instance_id IS NULL',
      [jobId],
    );
    return rows.length > 0;
  }

  /** Withdraw the pending timers of every version of a process (a newer version replaces its schedule), at `at`. */
  async cancelOfProcess(manager: EntityManager, processKey: string, at: Date): Promise<number> {
    const [, count]: [unknown, number] = await manager.query(
      `UPDATE job SET status = 'cancelled', completed_at = $2
        WHERE status = 'pending' AND instance_id IS NULL
          AND definition_id IN (SELECT id FROM process_definition WHERE process_key = $1)`,
      [processKey, at],
    );
    return count;
  }

  /** The pending timers of a definition version, soonest first. */
  async pendingOf(manager: EntityManager, definitionId: string): Promise<JobEntity[]> {
    return manager
      .getRepository(JobEntity)
      .find({ where: { definitionId, status: 'pending' }, order: { dueAt: 'ASC' } });
  }
}
