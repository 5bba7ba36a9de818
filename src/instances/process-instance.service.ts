import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DefinitionService } from '../definitions/definition.service.js';
import type { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import { hasRole, type AuthUser } from '../identity/auth.decorators.js';
import { ForbiddenError, InvalidInputError } from '../platform/errors.js';
import type { SortKey } from '../platform/database/sort.js';
import type { Page } from '../platform/http/page-query.dto.js';
import { InstanceQueryService, type InstanceSortField, type InstanceView } from './instance-query.service.js';
import { InstanceService } from './instance.service.js';
import type { ProcessInstanceQueryDto, ProcessInstanceSummary } from './process-instance.dto.js';

/** The zeebe:properties entry of a process that names, comma separated, the roles that may start it here. */
export const STARTER_GROUPS_PROPERTY = 'starterGroups';

export interface StartRequest {
  /** The process id; `definitionKey` is another name for it. */
  readonly processId?: string;
  readonly definitionKey?: string;
  readonly version?: number;
  readonly variables?: Record<string, unknown>;
  readonly businessKey?: string;
}

export interface InstanceVariables {
  readonly variables: Record<string, unknown>;
  /** Set from a record at the start (a release's number, class...): a PATCH may not change them. */
  readonly readOnlyVariables: readonly string[];
}

/**
 * The native API over any deployed process: start one by id (latest or a given version), list, cancel, and read
 * or set an instance's variables. Who may start: administrators and process designers always, anyone else when
 * the process names one of their roles in its `starterGroups` property. A process an application starts from its
 * own records (a release flow, filed through POST /api/releases) is reserved by that application and is not
 * started here, by anyone: it would run without its record.
 */
@Injectable()
export class ProcessInstanceService {
  private readonly reserved = new Map<string, string>();

  constructor(
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceQueryService) private readonly query: InstanceQueryService,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
  ) {}

  /**
   * An application starts (and cancels) instances of `processId` from its records; `how` tells callers the way.
   * Administrators may still cancel one here (a stuck instance whose record cannot).
   */
  reserve(processId: string, how: string): void {
    this.reserved.set(processId, how);
  }

  async start(user: AuthUser, request: StartRequest): Promise<InstanceView> {
    const key = request.processId ?? request.definitionKey;
    if (!key || (request.processId && request.definitionKey && request.processId !== request.definitionKey)) {
      throw new InvalidInputError('name the process to start: processId (or definitionKey), one of them', [
        { field: 'processId', message: key ? 'differs from definitionKey' : 'is required' },
      ]);
    }
    const how = this.reserved.get(key);
    if (how) throw new ForbiddenError(`${key} is not started here: ${how}`);
    // The latest version as this process knows it, without a read: the start checks it is still the latest when it
    // writes, and takes (and checks the starters of) the newer one when a deploy elsewhere overtook it.
    const definition =
      request.version === undefined ? undefined : await this.definitions.version(key, request.version);
    const authorize = hasRole(user, 'admin', 'process-designer')
      ? undefined
      : (starting: Pick<ProcessDefinitionEntity, 'id' | 'key'>, manager: EntityManager) =>
          this.assertStarter(user, starting, manager);
    const instance = await this.instances.start(key, request.variables ?? {}, {
      businessKey: request.businessKey ?? null,
      actor: user.username,
      ...(definition ? { definition } : {}),
      ...(authorize ? { authorize } : {}),
    });
    return this.query.view(instance.id);
  }

  /** The user may start the version when the process names one of their roles in its starter groups. */
  private async assertStarter(
    user: AuthUser,
    definition: Pick<ProcessDefinitionEntity, 'id' | 'key'>,
    manager: EntityManager,
  ): Promise<void> {
    const process = await this.definitions.compiledFor(definition.id, manager);
    const starters = (process.properties[STARTER_GROUPS_PROPERTY] ?? '')
      .split(',')
      .map((group) => group.trim())
      .filter(Boolean);
    if (starters.some((group) => (user.roles as readonly string[]).includes(group))) return;
    throw new ForbiddenError(
      starters.length > 0
        ? `${definition.key} may be started by ${starters.join(', ')} (its ${STARTER_GROUPS_PROPERTY}), process designers and administrators`
        : `${definition.key} names no ${STARTER_GROUPS_PROPERTY}: only process designers and administrators may start it`,
    );
  }

  async search(
    filter: ProcessInstanceQueryDto,
    orderBy: ReadonlyArray<SortKey<InstanceSortField>> = [],
  ): Promise<Page<ProcessInstanceSummary>> {
    return this.query.search(filter, orderBy);
  }

  /** Stop a running instance. An application's own instances are cancelled through it, except by administrators. */
  async cancel(user: AuthUser, instanceId: string, reason: string): Promise<InstanceView> {
    await this.instances.withInstanceLock(instanceId, async (manager, instance) => {
      const how = this.reserved.get(instance.processKey);
      if (how && !hasRole(user, 'admin'))
        throw new ForbiddenError(
          `${instance.processKey} is not cancelled here but by administrators: ${how}`,
        );
      await this.instances.cancelIn(manager, instanceId, reason, user.username);
    });
    return this.query.view(instanceId);
  }

  async variables(instanceId: string): Promise<InstanceVariables> {
    return this.query.variables(instanceId);
  }

  /** Merge top-level variables into a running instance, under its lock (400 for read-only or reserved names). */
  async updateVariables(user: AuthUser, instanceId: string, changes: unknown): Promise<InstanceVariables> {
    if (!changes || typeof changes !== 'object' || Object.keys(changes).length === 0) {
      throw new InvalidInputError('variables must name at least one variable', [
        { field: 'variables', message: 'must not be empty' },
      ]);
    }
    return this.instances.withInstanceLock(instanceId, async (manager, instance) => {
      await this.instances.updateVariables(manager, instance, changes, user.username);
      return { variables: instance.variables, readOnlyVariables: instance.readOnlyVariables };
    });
  }
}
