import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  DecisionEvaluationError,
  evaluateDecision,
  InvalidDmnError,
  readDmn,
  type DecisionResult,
  type DmnDocument,
} from '../decisions/index.js';
import type { FeelLimits } from '../engine/index.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import {
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  UnprocessableError,
  type FieldError,
} from '../platform/errors.js';
import { DecisionRepository, type DecisionSummary } from './decision.repository.js';

export type { DecisionSummary } from './decision.repository.js';
export { DecisionEvaluationError } from '../decisions/index.js';

/** One decision of a deployment: its version, and whether this deployment made it. */
export interface DeployedDecision {
  readonly id: string;
  readonly key: string;
  readonly version: number;
  readonly name: string;
  readonly created: boolean;
}

export interface DecisionDeployResult {
  /** The file (its definitions element) and the version it is stored as. */
  readonly requirements: { readonly key: string; readonly version: number; readonly name: string };
  readonly decisions: readonly DeployedDecision[];
  /** false when the file is the latest version of every decision in it already: nothing new was stored. */
  readonly created: boolean;
}

/** A DMN file checked for a deployment, not yet stored. */
export interface CheckedDmn {
  readonly document: DmnDocument;
  readonly xml: string;
}

export interface DecisionValidationResult {
  readonly valid: boolean;
  readonly requirementsKey?: string;
  readonly decisions: readonly string[];
  readonly errors: readonly FieldError[];
}

/** A decision evaluated on its latest version, with the version it ran on. */
export interface DecisionOutcome extends DecisionResult {
  readonly decisionDefinitionId: string;
  readonly version: number;
}

/**
 * Deploys and versions DMN files: each decision in a file is keyed by its id and gets a new version when the file
 * it is deployed with differs from the one of its latest version. Evaluates a decision on its latest version
 * (for business rule tasks), each file parsed once.
 */
@Injectable()
export class DecisionService {
  private readonly logger = new Logger(DecisionService.name);
  private readonly documents = new Map<string, Promise<DmnDocument>>();
  private readonly limits: FeelLimits;
  /** The largest file accepted (DEFINITION_MAX_BYTES, as for BPMN). */
  readonly maxBytes: number;
  private readonly maxVariablesBytes: number;

  constructor(
    @Inject(DecisionRepository) private readonly decisions: DecisionRepository,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.limits = config.feel;
    this.maxBytes = config.definitions.maxBpmnBytes;
    this.maxVariablesBytes = config.variablesMaxBytes;
  }

  /** Parse and check a file; throws 400 naming each decision, rule and cell at fault. */
  private async check(xml: string): Promise<DmnDocument> {
    if (Buffer.byteLength(xml, 'utf8') > this.maxBytes)
      throw new PayloadTooLargeError(`a DMN file may be at most ${this.maxBytes} bytes`);
    try {
      return await readDmn(xml, this.limits);
    } catch (err) {
      if (err instanceof InvalidDmnError) throw new InvalidInputError(err.message, err.problems);
      if (err instanceof RangeError) {
        const message = 'the document is nested too deeply to be a DMN file';
        throw new InvalidInputError(message, [{ field: 'xml', message }]);
      }
      throw err;
    }
  }

  /** Dry run: the errors a deployment would meet; nothing is stored. */
  async validate(xml: string): Promise<DecisionValidationResult> {
    try {
      const document = await this.check(xml);
      return {
        valid: true,
        requirementsKey: document.id,
        decisions: [...document.decisions.keys()],
        errors: [],
      };
    } catch (err) {
      if (err instanceof InvalidInputError)
        return { valid: false, decisions: [], errors: [...(err.details ?? [])] };
      throw err;
    }
  }

  /** `within`: the caller's transaction, when the file is one resource of a larger deployment. */
  async deploy(
    xml: string,
    deployedBy: string | null,
    within?: EntityManager,
  ): Promise<DecisionDeployResult> {
    const file = await this.checkForDeploy(xml);
    return this.decisions.withKeysLocked(
      file.document.id,
      [...file.document.decisions.keys()],
      (manager) => this.storeChecked(file, deployedBy, manager),
      within,
    );
  }

  /**
   * The first half of a deploy inside a deployment of several files: check a DMN file, store nothing. The
   * deployment locks the keys of all its files at once (`lockDecisionKeys`) before it stores any (`store`).
   */
  async checkForDeploy(xml: string): Promise<CheckedDmn> {
    return { document: await this.check(xml), xml };
  }

  /**
   * Hold the file and decision keys of every DMN file of a deployment for the rest of its transaction, all in one
   * sorted order, before any is stored: two deployments with the same keys in crossed files then wait for each
   * other instead of each holding what the other needs.
   */
  async lockDecisionKeys(files: readonly CheckedDmn[], manager: EntityManager): Promise<void> {
    await this.decisions.lockKeys(
      files.map((f) => ({ requirementsKey: f.document.id, decisionKeys: [...f.document.decisions.keys()] })),
      manager,
    );
  }

  /** The second half: store a checked file's decisions in the deployment's transaction, its keys locked. */
  async store(
    file: CheckedDmn,
    deployedBy: string | null,
    manager: EntityManager,
  ): Promise<DecisionDeployResult> {
    await this.lockDecisionKeys([file], manager);
    return this.storeChecked(file, deployedBy, manager);
  }

  /** A checked file's next version and its decisions' (its keys locked by the caller). */
  private async storeChecked(
    { document, xml }: CheckedDmn,
    deployedBy: string | null,
    manager: EntityManager,
  ): Promise<DecisionDeployResult> {
    const deployedAt = this.clock.now();
    // Compared with the latest version only: deploying an earlier file again makes it the latest.
    let requirements = await this.decisions.latestRequirements(manager, document.id);
    let fileCreated = false;
    if (requirements?.checksum !== document.checksum) {
      requirements = await this.decisions.insertRequirements(manager, {
        key: document.id,
        version: (requirements?.version ?? 0) + 1,
        name: document.name,
        checksum: document.checksum,
        xml,
        deployedBy,
        deployedAt,
      });
      fileCreated = true;
    }
    const deployed: DeployedDecision[] = [];
    for (const decision of document.decisions.values()) {
      const latest = await this.decisions.latest(decision.id, manager);
      if (latest?.checksum === document.checksum && latest.requirementsId === requirements.id) {
        deployed.push({
          id: latest.id,
          key: latest.key,
          version: latest.version,
          name: latest.name,
          created: false,
        });
        continue;
      }
      const row = await this.decisions.insert(manager, {
        key: decision.id,
        version: (latest?.version ?? 0) + 1,
        name: decision.name,
        requirementsId: requirements.id,
        checksum: document.checksum,
        deployedBy,
        deployedAt,
      });
      deployed.push({ id: row.id, key: row.key, version: row.version, name: row.name, created: true });
    }
    return {
      requirements: { key: requirements.key, version: requirements.version, name: requirements.name },
      decisions: deployed,
      created: fileCreated || deployed.some((d) => d.created),
    };
  }

  /** Deploy every .dmn file of a folder whose content changed (shipped decisions, on start). */
  async deployDirectory(dir: string): Promise<DecisionDeployResult[]> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.dmn')).sort();
    const results: DecisionDeployResult[] = [];
    for (const file of files) {
      const result = await this.deploy(await readFile(join(dir, file), 'utf8'), 'system');
      for (const decision of result.decisions.filter((d) => d.created))
        this.logger.log(`deployed decision ${decision.key} version ${decision.version} from ${file}`);
      results.push(result);
    }
    return results;
  }

  async list(): Promise<DecisionSummary[]> {
    return this.decisions.listLatest();
  }

  async versions(key: string): Promise<DecisionSummary[]> {
    const rows = await this.decisions.versions(key);
    if (rows.length === 0) throw new NotFoundError(`no decision "${key}" is deployed`);
    return rows;
  }

  /** The DMN file a decision version was deployed with. */
  async xml(key: string, version: number): Promise<string> {
    const decision = await this.decisions.findVersion(key, version);
    if (!decision) throw new NotFoundError(`decision "${key}" has no version ${version}`);
    const requirements = await this.decisions.findRequirements(decision.requirementsId);
    return requirements!.xml;
  }

  /**
   * Evaluate the latest version of a decision (its required decisions first) against the variables: what a
   * business rule task (`zeebe:calledDecision decisionId`) does. Throws NotFoundError when no such decision is
   * deployed, and DecisionEvaluationError (naming the decision and its input values) when it fails: for the
   * caller to make an incident of. `manager`: the caller's transaction, when there is one (the embedded database
   * has a single connection).
   */
  async evaluateLatest(
    decisionId: string,
    variables: Readonly<Record<string, unknown>>,
    manager?: EntityManager,
  ): Promise<DecisionOutcome> {
    const latest = await this.decisions.latest(decisionId, manager);
    if (!latest) throw new NotFoundError(`no decision "${decisionId}" is deployed`);
    const document = await this.documentFor(latest.requirementsId, manager);
    const result = evaluateDecision(document, decisionId, variables, {
      timeoutMs: this.limits.evaluationTimeoutMs,
    });
    return { ...result, decisionDefinitionId: latest.id, version: latest.version };
  }

  /** evaluateLatest for a person trying a decision out: a failure is a 422 with its message. */
  async tryLatest(decisionId: string, variables: Record<string, unknown>): Promise<DecisionOutcome> {
    const size = Buffer.byteLength(JSON.stringify(variables), 'utf8');
    if (size > this.maxVariablesBytes)
      throw new PayloadTooLargeError(`variables may be at most ${this.maxVariablesBytes} bytes`);
    try {
      return await this.evaluateLatest(decisionId, variables);
    } catch (err) {
      if (err instanceof DecisionEvaluationError) throw new UnprocessableError(err.message);
      throw err;
    }
  }

  /** The parsed file of a stored version, cached: versions never change once stored. */
  private documentFor(requirementsId: string, manager?: EntityManager): Promise<DmnDocument> {
    let document = this.documents.get(requirementsId);
    if (!document) {
      document = this.decisions.findRequirements(requirementsId, manager).then((requirements) => {
        if (!requirements) throw new NotFoundError(`DMN file ${requirementsId} does not exist`);
        return readDmn(requirements.xml, this.limits);
      });
      document.catch(() => this.documents.delete(requirementsId));
      this.documents.set(requirementsId, document);
    }
    return document;
  }
}
