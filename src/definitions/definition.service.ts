import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  type FieldError,
} from '../platform/errors.js';
import {
  compileProcess,
  topLevelStartEvents,
  type CompiledProcess,
  type ProcessModel,
} from '../engine/index.js';
import { FormService } from './form.service.js';
import { JobHandlerRegistry } from '../queue/job-handler.port.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import type { DefinitionLimits } from './definition-validator.js';
import { checkDefinition, refusalSummary, type DefinitionCheckOptions } from './definition-check.js';
import { DefinitionRepository, type DefinitionVersion } from './definition.repository.js';
import type { ProcessDefinitionEntity } from './process-definition.entity.js';

/** One process of a deployed file. */
export interface DeployedProcess {
  readonly definition: ProcessDefinitionEntity;
  /** false when this process's file was deployed before unchanged: no new version of it. */
  readonly created: boolean;
}

export interface DeployResult {
  /** Each executable process of the file, in the file's order: every one its own definition (key, version). */
  readonly processes: readonly DeployedProcess[];
  /** true when any process got a new version. */
  readonly created: boolean;
  readonly warnings: readonly FieldError[];
}

export interface ValidationResult {
  readonly valid: boolean;
  /** The first process a deploy would store (of `processIds`). */
  readonly processId?: string;
  /** Every process a deploy would store, each its own definition. */
  readonly processIds?: readonly string[];
  readonly errors: readonly FieldError[];
  readonly warnings: readonly FieldError[];
}

export type { DefinitionSearch, DefinitionSortField, DefinitionVersion } from './definition.repository.js';

/** A BPMN file checked for deployment and not yet stored: its executable processes. */
export interface CheckedBpmn {
  readonly models: readonly ProcessModel[];
  readonly xml: string;
  readonly warnings: readonly FieldError[];
}

/** Where a deploy runs inside a deployment of several resources. */
export interface DeploymentContext {
  /** The deployment's transaction: everything in it commits or fails together. */
  readonly manager?: EntityManager;
  /** Forms deployed earlier in the same deployment (known to user tasks though not yet committed). */
  readonly formIds?: ReadonlySet<string>;
}

export { MAX_ELEMENTS } from './definition-check.js';

/** Told of every new process version, in the transaction that stores it (a schedule to write with it). */
export interface DeploymentListener {
  /** `definition` was stored as the latest version of its key (held for the rest of the transaction). */
  onDeployed(manager: EntityManager, definition: ProcessDefinitionEntity, model: ProcessModel): Promise<void>;
}

/** Deploys and versions process definitions; hands out each version parsed once. */
@Injectable()
export class DefinitionService {
  private readonly logger = new Logger(DefinitionService.name);
  private readonly compiled = new Map<string, Promise<CompiledProcess>>();
  private readonly deploymentListeners: DeploymentListener[] = [];
  /** Process key → the latest version this process has seen (see latestKnown). */
  private readonly latestSeen = new Map<string, Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>>();
  private readonly limits: DefinitionLimits;
  /** The largest BPMN file accepted (DEFINITION_MAX_BYTES); the upload and body parsers cap at it too. */
  readonly maxBpmnBytes: number;

  constructor(
    @Inject(DefinitionRepository) private readonly definitions: DefinitionRepository,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.limits = { feel: config.feel, timers: config.timers };
    this.maxBpmnBytes = config.definitions.maxBpmnBytes;
  }

  /** Who writes something with each new version (timer start schedules) registers here. */
  addDeploymentListener(listener: DeploymentListener): void {
    this.deploymentListeners.push(listener);
  }

  /** Dry run: everything deploy checks, nothing stored; a refused file's warnings are listed too. */
  async validate(source: string | Uint8Array): Promise<ValidationResult> {
    const check = await this.checked(source, 'warn', await this.forms.ids());
    if (check.models.length > 0) {
      const processIds = check.models.map((m) => m.processId);
      return { valid: true, processId: processIds[0], processIds, errors: [], warnings: [...check.warnings] };
    }
    return { valid: false, errors: [...check.errors], warnings: [...check.warnings] };
  }

  /**
   * Deploy a BPMN file: its text, or its bytes (read by the encoding its XML declaration names). A service task
   * whose job type no handler here carries out is work for external job workers, and a warning.
   */
  async deploy(
    source: string | Uint8Array,
    deployedBy: string | null,
    within?: EntityManager,
    deployedForms?: ReadonlySet<string>,
  ): Promise<DeployResult> {
    return this.deployChecked(source, deployedBy, 'warn', { manager: within, formIds: deployedForms });
  }

  /**
   * The first half of a deploy inside a deployment of several files: check a BPMN file, store nothing. The
   * deployment locks the keys of all its files at once (`lockProcessKeys`) before it stores any (`store`).
   */
  async check(source: string | Uint8Array, deployment: DeploymentContext): Promise<CheckedBpmn> {
    return this.checkedForDeploy(source, 'warn', deployment);
  }

  /**
   * Hold the process keys of every file of a deployment for the rest of its transaction, all in one sorted order,
   * before any is stored: two deployments with the same keys in crossed files (or crossed within one) then wait
   * for each other instead of each holding what the other needs.
   */
  async lockProcessKeys(files: readonly CheckedBpmn[], manager: EntityManager): Promise<void> {
    await this.definitions.lockKeys(
      files.flatMap((f) => f.models.map((m) => m.processId)),
      manager,
    );
  }

  /** The second half: store a checked file's processes in the deployment's transaction. */
  async store(file: CheckedBpmn, deployedBy: string | null, manager: EntityManager): Promise<DeployResult> {
    return this.storeChecked(file, deployedBy, manager);
  }

  /** Run deployments in one transaction (pass its manager on): all of them are stored, or none. */
  async deployTogether<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.definitions.transaction(fn);
  }

  /**
   * Deploy every .bpmn file of a folder whose content changed (the shipped flows, on start). These run on this
   * service's own workers: a job type none of them carries out is a typo that would leave releases waiting, and
   * stops the start.
   */
  async deployDirectory(dir: string): Promise<ProcessDefinitionEntity[]> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort();
    const deployed: ProcessDefinitionEntity[] = [];
    for (const file of files) {
      const result = await this.deployChecked(await readFile(join(dir, file)), 'system', 'refuse', {});
      for (const { definition, created } of result.processes) {
        if (created) this.logger.log(`deployed ${definition.key} version ${definition.version} from ${file}`);
        deployed.push(definition);
      }
    }
    return deployed;
  }

  private async deployChecked(
    source: string | Uint8Array,
    deployedBy: string | null,
    externalJobTypes: DefinitionCheckOptions['externalJobTypes'],
    deployment: DeploymentContext,
  ): Promise<DeployResult> {
    const file = await this.checkedForDeploy(source, externalJobTypes, deployment);
    return deployment.manager
      ? this.storeChecked(file, deployedBy, deployment.manager)
      : this.definitions.transaction((manager) => this.storeChecked(file, deployedBy, manager));
  }

  private async checkedForDeploy(
    source: string | Uint8Array,
    externalJobTypes: DefinitionCheckOptions['externalJobTypes'],
    deployment: DeploymentContext,
  ): Promise<CheckedBpmn> {
    const forms = await this.forms.ids(deployment.manager);
    for (const formId of deployment.formIds ?? []) forms.add(formId);
    const check = await this.checked(source, externalJobTypes, forms);
    if (check.models.length === 0 || check.xml === undefined)
      throw new InvalidInputError(refusalSummary(check), [...check.errors]);
    return { models: check.models, xml: check.xml, warnings: check.warnings };
  }

  /**
   * Every process of the file in the caller's transaction, their keys locked in one sorted order (no two deploys
   * wait on each other); a process whose file is unchanged since one of its versions gets no new version, each on
   * its own.
   */
  private async storeChecked(
    file: CheckedBpmn,
    deployedBy: string | null,
    manager: EntityManager,
  ): Promise<DeployResult> {
    await this.lockProcessKeys([file], manager);
    const done = new Map<string, DeployedProcess>();
    for (const model of file.models)
      done.set(model.processId, await this.deployProcess(manager, model, file.xml, deployedBy));
    const processes = file.models.map((m) => done.get(m.processId)!);
    return { processes, created: processes.some((p) => p.created), warnings: file.warnings };
  }

  /** One process of a file, its key locked: the next version, or the version already holding this content. */
  private async deployProcess(
    manager: EntityManager,
    model: ProcessModel,
    xml: string,
    deployedBy: string | null,
  ): Promise<DeployedProcess> {
    const existing = await this.definitions.findByChecksum(manager, model.processId, model.checksum);
    if (existing) return { definition: existing, created: false };

    const latest = await this.definitions.latest(model.processId, manager);
    const definition = await this.definitions.insert(manager, {
      key: model.processId,
      version: (latest?.version ?? 0) + 1,
      name: model.name,
      checksum: model.checksum,
      xml,
      jobTypes: [...model.jobTypes].sort(),
      messageStarts: messageStartsOf(model),
      signalStarts: signalStartsOf(model),
      deployedBy,
      deployedAt: this.clock.now(),
    });
    for (const listener of this.deploymentListeners) await listener.onDeployed(manager, definition, model);
    return { definition, created: true };
  }

  /** Every rule, every finding: 413 for a file over the cap, otherwise the errors and warnings listed. */
  private async checked(
    source: string | Uint8Array,
    externalJobTypes: DefinitionCheckOptions['externalJobTypes'],
    knownForms: ReadonlySet<string>,
  ): Promise<{
    models: readonly ProcessModel[];
    xml?: string;
    errors: readonly FieldError[];
    warnings: readonly FieldError[];
  }> {
    const bytes = typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : source.byteLength;
    if (bytes > this.maxBpmnBytes) {
      throw new PayloadTooLargeError(`a BPMN file may be at most ${this.maxBpmnBytes} bytes`);
    }
    return checkDefinition(source, {
      hasHandler: (type) => this.handlers.has(type),
      hasForm: (key) => knownForms.has(key),
      limits: this.limits,
      externalJobTypes,
      // The clock the timer start events of what is deployed are scheduled on.
      now: () => this.clock.now(),
    });
  }

  /** `manager`: the caller's transaction, when there is one (the embedded database has a single connection). */
  async latest(key: string, manager?: EntityManager): Promise<ProcessDefinitionEntity> {
    const definition = await this.definitions.latest(key, manager);
    if (!definition) throw new NotFoundError(`no process definition "${key}" is deployed`);
    return definition;
  }

  /**
   * The latest version of a process as this process last saw it, without a read when it saw one: it may be stale,
   * so whoever writes with it checks that no newer version exists in the statement it writes with (a start does,
   * see InstanceService.startIn) and calls again with `fresh` when one does. Versions only ever get added.
   */
  async latestKnown(
    key: string,
    manager?: EntityManager,
    fresh = false,
  ): Promise<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>> {
    const known = fresh ? undefined : this.latestSeen.get(key);
    if (known) return known;
    const latest = await this.latest(key, manager);
    this.sawLatest(latest);
    return latest;
  }

  /** Remember a version as the latest seen of its key (never going back to an older one). */
  private sawLatest(definition: Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>): void {
    const seen = this.latestSeen.get(definition.key);
    if (seen && seen.version >= definition.version) return;
    if (!seen && this.latestSeen.size >= LATEST_SEEN_KEYS) this.latestSeen.clear();
    this.latestSeen.set(definition.key, {
      id: definition.id,
      key: definition.key,
      version: definition.version,
    });
  }

  /** The latest versions that a message of this name starts (through a message start event). */
  startedByMessage(name: string, manager?: EntityManager) {
    return this.definitions.startedByMessage(name, manager);
  }

  /** The latest versions that a broadcast of this signal starts (through a signal start event). */
  startedBySignal(name: string, manager?: EntityManager) {
    return this.definitions.startedBySignal(name, manager);
  }

  async list(): Promise<ProcessDefinitionEntity[]> {
    return this.definitions.listLatest();
  }

  /** A page of the definitions matching a filter, in the order asked, and how many match. */
  search(...query: Parameters<DefinitionRepository['search']>): ReturnType<DefinitionRepository['search']> {
    return this.definitions.search(...query);
  }

  async versions(key: string): Promise<DefinitionVersion[]> {
    const rows = await this.definitions.versionsWithUse(key);
    if (rows.length === 0) throw new NotFoundError(`no process definition "${key}" is deployed`);
    return rows;
  }

  async version(key: string, version: number): Promise<ProcessDefinitionEntity> {
    const definition = await this.definitions.findVersion(key, version);
    if (!definition) throw new NotFoundError(`process definition "${key}" has no version ${version}`);
    return definition;
  }

  /** A definition version by its id. */
  async byId(id: string, manager?: EntityManager): Promise<ProcessDefinitionEntity> {
    const definition = await this.definitions.findById(id, manager);
    if (!definition) throw new NotFoundError(`process definition ${id} does not exist`);
    return definition;
  }

  /** The parsed process of a definition version, cached: versions never change once stored. */
  compiledFor(definitionId: string, manager?: EntityManager): Promise<CompiledProcess> {
    let compiled = this.compiled.get(definitionId);
    if (!compiled) {
      compiled = this.definitions.findById(definitionId, manager).then((definition) => {
        if (!definition) throw new NotFoundError(`process definition ${definitionId} does not exist`);
        return compileProcess(definition.xml, definition.key);
      });
      compiled.catch(() => this.compiled.delete(definitionId));
      this.compiled.set(definitionId, compiled);
    }
    return compiled;
  }
}

/** Process keys whose latest version a process keeps in mind (a handful in practice; the map restarts past it). */
const LATEST_SEEN_KEYS = 1000;

/** The messages the top-level message start events of a process wait for. */
function messageStartsOf(model: ProcessModel): string[] {
  const names = new Set<string>();
  for (const element of topLevelStartEvents(model)) if (element.message) names.add(element.message.name);
  return [...names].sort();
}

/** The signals the top-level signal start events of a process wait for. */
function signalStartsOf(model: ProcessModel): string[] {
  const names = new Set<string>();
  for (const element of topLevelStartEvents(model)) if (element.signal) names.add(element.signal.name);
  return [...names].sort();
}
