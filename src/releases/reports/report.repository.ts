import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JsonObject } from '../../platform/json.js';
import { ReleaseEntity } from '../release.entity.js';
import { TIMELINE_EVENT_TYPES, timelineEntry, type TimelineEntry } from '../timeline.js';
import { ReleaseReportEntity, type ReportKind } from './release-report.entity.js';

export interface StepRecord {
  readonly elementId: string | null;
  readonly elementName: string | null;
  readonly formKey: string | null;
  readonly actor: string | null;
  readonly output: Record<string, unknown>;
  readonly at: Date;
}

export interface CmdbChangeRecord {
  readonly name: string;
  readonly type: string;
  readonly change: string;
  readonly version: string | null;
  readonly previousVersion: string | null;
  readonly at: Date;
}

export interface DeliveryRecord {
  readonly jobType: string;
  readonly channel: string;
  readonly target: string;
  readonly status: string;
  readonly at: Date;
}

/** What the reports read: the release, its flow's variables and history, CMDB changes and deliveries. */
@Injectable()
export class ReportRepository {
  async release(manager: EntityManager, releaseId: string): Promise<ReleaseEntity | null> {
    return manager.getRepository(ReleaseEntity).findOneBy({ id: releaseId });
  }

  async variables(manager: EntityManager, instanceId: string | null): Promise<Record<string, unknown>> {
    if (!instanceId) return {};
    const rows: Array<{ variables: JsonObject }> = await manager.query(
      'SELECT variables FROM process_instance WHERE id = $1',
      [instanceId],
    );
    return rows[0]?.variables ?? {};
  }

  async steps(manager: EntityManager, instanceId: string | null): Promise<StepRecord[]> {
    if (!instanceId) return [];
    const rows: Array<{
      element_id: string | null;
      element_name: string | null;
      actor: string | null;
      data: { formKey?: string | null; output?: Record<string, unknown> } | null;
      created_at: Date;
    }> = await manager.query(
      `SELECT element_id, element_name, actor, data, created_at FROM history_event
        WHERE instance_id = $1 AND type = 'task.completed' ORDER BY id`,
      [instanceId],
    );
    return rows.map((r) => ({
      elementId: r.element_id,
      elementName: r.element_name,
      formKey: r.data?.formKey ?? null,
      actor: r.actor,
      output: r.data?.output ?? {},
      at: r.created_at,
    }));
  }

  /** The release's whole timeline, oldest first (see timeline.ts). */
  async timeline(manager: EntityManager, instanceId: string | null): Promise<TimelineEntry[]> {
    if (!instanceId) return [];
    const rows: Array<{
      id: string;
      type: string;
      element_id: string | null;
      element_name: string | null;
      actor: string | null;
      data: JsonObject | null;
      created_at: Date;
    }> = await manager.query(
      `SELECT id, type, element_id, element_name, actor, data, created_at FROM history_event
        WHERE instance_id = $1 AND type = ANY($2::text[]) ORDER BY id`,
      [instanceId, TIMELINE_EVENT_TYPES],
    );
    return rows.map((r) =>
      timelineEntry({
        id: String(r.id),
        type: r.type,
        elementId: r.element_id,
        elementName: r.element_name,
        actor: r.actor,
        data: r.data,
        createdAt: r.created_at,
      }),
    );
  }

  async incidents(manager: EntityManager, instanceId: string | null): Promise<number> {
    if (!instanceId) return 0;
    const rows: Array<{ n: number }> = await manager.query(
      `SELECT count(*)::int AS n FROM incident WHERE instance_id = $1`,
      [instanceId],
    );
    return rows[0]?.n ?? 0;
  }

  async cmdbChanges(manager: EntityManager, releaseId: string): Promise<CmdbChangeRecord[]> {
    return manager.query(
      `SELECT i.name, i.type, v.change, v.version, v.previous_version AS "previousVersion", v.created_at AS at
         FROM cmdb_item_version v JOIN cmdb_item i ON i.id = v.item_id
        WHERE v.release_id = $1 ORDER BY v.id`,
      [releaseId],
    );
  }

  async deliveries(manager: EntityManager, releaseId: string): Promise<DeliveryRecord[]> {
    return manager.query(
      `SELECT job_type AS "jobType", channel, target, status, coalesce(sent_at, created_at) AS at
         FROM outbound_delivery WHERE release_id = $1 ORDER BY id`,
      [releaseId],
    );
  }

  /** Keep a generated document; a job that stored it before keeps its first version. */
  async store(
    manager: EntityManager,
    report: {
      id: string;
      releaseId: string;
      kind: ReportKind;
      /** null: generated at the release's close, not by a job. */
      jobId: string | null;
      generatedAt: Date;
      markdown: string;
      html: string;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO release_report (id, release_id, kind, job_id, generated_at, markdown, html)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING`,
      [
        report.id,
        report.releaseId,
        report.kind,
        report.jobId,
        report.generatedAt,
        report.markdown,
        report.html,
      ],
    );
  }

  async ofJob(manager: EntityManager, jobId: string): Promise<ReleaseReportEntity[]> {
    return manager.getRepository(ReleaseReportEntity).find({ where: { jobId }, order: { kind: 'ASC' } });
  }

  async latest(
    manager: EntityManager,
    releaseId: string,
    kind: ReportKind,
  ): Promise<ReleaseReportEntity | null> {
    return manager
      .getRepository(ReleaseReportEntity)
      .findOne({ where: { releaseId, kind }, order: { generatedAt: 'DESC' } });
  }
}
