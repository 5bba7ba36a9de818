import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../platform/errors.js';
import { InstanceService } from '../instances/instance.service.js';
import { ProcessInstanceService } from '../instances/process-instance.service.js';
import type { ProcessInstanceEntity } from '../instances/process-instance.entity.js';
import type { InstanceBefore } from '../instances/instance.events.js';
import type { ReleaseRequestDto } from './release.dto.js';
import { ReleaseEntity, type ReleaseClass, type ReleaseStatus } from './release.entity.js';
import { FiledReleases } from './filed-releases.js';
import { ReleaseRepository } from './release.repository.js';

/** The flow each class of release runs (release-procedure: the three flows). */
export const PROCESS_OF_CLASS: Readonly<Record<ReleaseClass, string>> = {
  standard: 'standard-release',
  emergency: 'emergency-release',
  major: 'major-release',
};

const RELEASE_PROCESSES: ReadonlySet<string> = new Set(Object.values(PROCESS_OF_CLASS));

const FINAL_STATUSES: ReadonlySet<string> = new Set(['closed', 'rejected', 'rolled-back', 'cancelled']);

/** Told, in the transaction that ends a release's flow, the record as it ended (final status, close time). */
export type ReleaseEndedListener = (manager: EntityManager, release: ReleaseEntity) => Promise<void>;

@Injectable()
export class ReleaseService implements OnModuleInit {
  private readonly endedListeners: ReleaseEndedListener[] = [];

  constructor(
    @Inject(ReleaseRepository) private readonly repository: ReleaseRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ProcessInstanceService) private readonly processInstances: ProcessInstanceService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(FiledReleases) private readonly filed: FiledReleases,
  ) {}

  onModuleInit(): void {
    // A release flow runs with its record: it starts by filing, and a cancel goes through the release.
    for (const processKey of Object.values(PROCESS_OF_CLASS)) {
      this.processInstances.reserve(
        processKey,
        'a release flow starts when a release is filed (POST /api/releases) and is cancelled with its release (POST /api/releases/:id/cancel)',
      );
    }
    this.instances.addListener({
      onInstanceSaved: (manager, instance, previous) => {
        if (!tracksChange(instance, previous)) return Promise.resolve();
        return this.followInstance(manager, instance);
      },
    });
  }

  /**
   * Be told when a release ends (closed, rejected, rolled back or cancelled), in the transaction that ends its
   * flow, after its record took its final status: what the listener writes commits or rolls back with the end.
   */
  onReleaseEnded(listener: ReleaseEndedListener): void {
    this.endedListeners.push(listener);
  }

  /** File a release: number it, store the request, and start the flow of its class, all in one transaction. */
  async file(
    releaseClass: ReleaseClass,
    request: ReleaseRequestDto,
    actor: string | null,
  ): Promise<ReleaseEntity> {
    if (releaseClass !== 'emergency' && !request.rollbackPlan?.trim()) {
      throw new InvalidInputError('a standard or major release needs a rollback plan', [
        { field: 'request.rollbackPlan', message: 'is required for standard and major releases' },
      ]);
    }
    const filed = await this.instances.transaction(async (manager) => {
      const now = this.clock.now();
      const id = randomUUID();
      const number = await this.nextNumber(manager, now.getUTCFullYear());
      const variables: Record<string, unknown> = {
        releaseId: id,
        releaseNumber: number,
        releaseClass,
        source: request.source,
        title: request.title,
      };
      if (releaseClass === 'emergency') variables.escalationTimeout = this.config.escalationTimeout;
      const instance = await this.instances.startIn(manager, PROCESS_OF_CLASS[releaseClass], variables, {
        businessKey: id,
        actor,
        readOnlyVariables: ['releaseId', 'releaseNumber', 'releaseClass', 'escalationTimeout'],
      });
      // The record is written once, with its instance, after the start: the start's pass had no record to follow
      // (it is as filed), and it is not read again.
      return this.repository.insert(manager, {
        id,
        number,
        releaseClass,
        source: request.source,
        title: request.title,
        status: 'in-progress',
        instanceId: instance.id,
        request: { ...request },
        createdBy: actor,
        closedAt: null,
        versionNumber: null,
        plannedAt: request.plannedAt ? new Date(request.plannedAt) : null,
        installedAt: null,
        rolledBack: false,
        escalatedAt: null,
        createdAt: now,
        updatedAt: now,
      });
    });
    // Committed: its applicant and request are this process's to know without reading them again.
    this.filed.remember(filed);
    return filed;
  }

  /** A release by its id or its number (REL-2026-0001, any case); 404 when there is none. */
  async find(idOrNumber: string): Promise<ReleaseEntity> {
    const release = await this.repository.findByIdOrNumber(idOrNumber);
    if (!release) throw new NotFoundError(`release ${idOrNumber} does not exist`);
    return release;
  }

  async cancel(idOrNumber: string, reason: string, actor: string | null): Promise<ReleaseEntity> {
    const release = await this.find(idOrNumber);
    if (release.status !== 'in-progress' || !release.instanceId) {
      throw new ConflictError(`release ${release.number} is ${release.status}`);
    }
    const instanceId = release.instanceId;
    await this.instances.transaction((manager) =>
      this.instances.cancelIn(manager, instanceId, reason, actor),
    );
    return this.find(release.id);
  }

  /** REL-<year>-<nnnn>: one counter row per year, incremented under its row lock, so numbers never repeat. */
  private async nextNumber(manager: EntityManager, year: number): Promise<string> {
    const sequence = await this.repository.nextNumber(manager, year);
    return `REL-${year}-${String(sequence).padStart(4, '0')}`;
  }

  /**
   * A release follows its process: the reworked request's title and source, the version number allocated,
   * the planned and actual install times, whether it was ever rolled back, and at the end its end status.
   */
  private async followInstance(manager: EntityManager, instance: ProcessInstanceEntity): Promise<void> {
    // Other processes' business keys are their starters' own (not release ids).
    if (!instance.businessKey || !RELEASE_PROCESSES.has(instance.processKey)) return;
    const v = instance.variables as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);
    // The service's clock, as timers read it (tests move it), not the system time.
    const now = this.clock.now();
    const planned = text(v.plannedEnd) ?? text(v.plannedStart);
    let installedAt: Date | undefined;
    if (v.installResult === 'success') {
      const reported = text(v.installedAt) ? new Date(v.installedAt as string) : undefined;
      // A future install time would count as on time whatever happens: refused, and the pass with it, unless
      // the release already has its install time (then the reported one is not taken anyway).
      if (reported && reported.getTime() > now.getTime()) {
        const release = await this.repository.findOfInstance(manager, instance.businessKey, instance.id);
        if (release && !release.installedAt) {
          throw new InvalidInputError(`installedAt ${reported.toISOString()} is in the future`, [
            { field: 'installedAt', message: `must not be after now (${now.toISOString()})` },
          ]);
        }
      }
      installedAt = reported && !Number.isNaN(reported.getTime()) ? reported : now;
    }
    // One statement reads and writes the record: each rule (only a change is written, the install time once,
    // the end status only from in-progress) is the update's own condition.
    const followed = await this.repository.follow(
      manager,
      instance.businessKey,
      instance.id,
      {
        title: text(v.title) as string | undefined,
        source: text(v.source) as ReleaseEntity['source'] | undefined,
        versionNumber: text(v.versionNumber) as string | undefined,
        plannedAt: planned ? new Date(planned) : undefined,
        installedAt,
        rolledBack: text(v.rollbackCause) !== undefined,
        endStatus:
          instance.status === 'running'
            ? undefined
            : ((instance.endStatus && FINAL_STATUSES.has(instance.endStatus)
                ? instance.endStatus
                : 'closed') as ReleaseStatus),
      },
      now,
    );
    if (!followed?.ended) return;
    // The row as the update returned it, under the instance's lock: not read again.
    for (const listener of this.endedListeners) await listener(manager, followed.release);
  }
}

/** The variables a release record follows (see followInstance). */
const TRACKED_VARIABLES = [
  'title',
  'source',
  'versionNumber',
  'plannedEnd',
  'plannedStart',
  'installResult',
  'installedAt',
  'rollbackCause',
] as const;

/** Whether a pass changed anything a release record follows: only then is the release read. */
function tracksChange(instance: ProcessInstanceEntity, previous: InstanceBefore): boolean {
  if (!instance.businessKey) return false;
  if (instance.status !== previous.status) return true;
  const now = instance.variables as Record<string, unknown>;
  return TRACKED_VARIABLES.some((name) => now[name] !== previous.variables[name]);
}
