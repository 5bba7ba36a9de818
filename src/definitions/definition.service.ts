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
  BpmnParseError,
  compileProcess,
  parseProcess,
  type CompiledProcess,
  type ProcessModel,
} from '../engine/index.js';
import { lintWarnings } from './bpmn-lint.js';
import { FormService } from './form.service.js';
import { JobHandlerRegistry } from '../queue/job-handler.port.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { processWarnings, validateProcess, type DefinitionLimits } from './definition-validator.js';
import { DefinitionRepository, type DefinitionVersion } from './definition.repository.js';
import type { ProcessDefinitionEntity } from './process-definition.entity.js';
import { untrustedXmlProblem } from '../platform/xml-guard.js';

export interface DeployResult {
  readonly definition: ProcessDefinitionEntity;
  /** false when identical content was deployed before: no new version. */
  readonly created: boolean;
  readonly warnings: readonly FieldError[];
}

export interface ValidationResult {
  readonly valid: boolean;
  readonly processId?: string;
  readonly errors: readonly FieldError[];
  readonly warnings: readonly FieldError[];
}

export type { DefinitionVersion } from './definition.repository.js';

/** More flow elements than any release flow needs; keeps a hostile file from costing a lot to run. */
export const MAX_ELEMENTS = 2000;

/** Deploys and versions process definitions; hands out each version parsed once. */
@Injectable()
export class DefinitionService {
  private readonly logger = new Logger(DefinitionService.name);
  private readonly compiled = new Map<string, Promise<CompiledProcess>>();
  private readonly limits: DefinitionLimits;
  /** The largest BPMN file accepted (DEFINITION_MAX_BYTES); the upload and body parsers cap at it too. */
  readonly maxBpmnBytes: number;

  constructor(
    @Inject(DefinitionRepository) private readonly definitions: DefinitionRepository,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = { feel: config.feel, timers: config.timers };
    this.maxBpmnBytes = config.definitions.maxBpmnBytes;
  }

  /** Dry run: everything deploy checks, nothing stored. */
  async validate(xml: string): Promise<ValidationResult> {
    try {
      const { model, warnings } = await this.check(xml);
      return { valid: true, processId: model.processId, errors: [], warnings };
    } catch (err) {
      if (err instanceof InvalidInputError)
        return { valid: false, errors: [...(err.details ?? [])], warnings: [] };
      throw err;
    }
  }

  /** Parse and apply every rule; throws 400 listing each error by element id. */
  private async check(xml: string): Promise<{ model: ProcessModel; warnings: FieldError[] }> {
    if (Buffer.byteLength(xml, 'utf8') > this.maxBpmnBytes) {
      throw new PayloadTooLargeError(`a BPMN file may be at most ${this.maxBpmnBytes} bytes`);
    }
    // No document type declarations, processing instructions or deep nesting: shared with the DMN reader.
    const unsafe = untrustedXmlProblem(xml);
    if (unsafe) throw new InvalidInputError(unsafe, [{ field: 'xml', message: unsafe }]);
    let model: ProcessModel;
    try {
      model = await parseProcess(xml);
    } catch (err) {
      if (err instanceof BpmnParseError) {
        const message = oneLine(err.message);
        throw new InvalidInputError(message, [{ field: 'xml', message }]);
      }
      if (err instanceof RangeError) {
        // A hostile file nested deeper than the parser's recursion can follow.
        const message = 'the document is nested too deeply to be a process';
        throw new InvalidInputError(message, [{ field: 'xml', message }]);
      }
      throw err;
    }
    // bpmn-moddle reads past what it cannot place (unknown elements, duplicate ids, dangling references) and
    // only warns: deploying such a file would run a different process than the one drawn. Refuse it.
    if (model.warnings.length > 0) {
      const details = model.warnings.map(importProblem);
      throw new InvalidInputError(
        `the file is not valid BPMN: ${details.map((d) => d.message).join('; ')}`,
        details,
      );
    }
    if (model.elements.size > MAX_ELEMENTS) {
      const message = `a process may have at most ${MAX_ELEMENTS} elements, this one has ${model.elements.size}`;
      throw new InvalidInputError(message, [{ field: model.processId, message }]);
    }
    const errors = validateProcess(
      model,
      (type) => this.handlers.has(type),
      (key) => this.forms.has(key),
      this.limits,
    );
    if (errors.length > 0) {
      const reasons = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new InvalidInputError(`the process ${model.processId} is not valid: ${reasons}`, errors);
    }
    const warnings = [...processWarnings(model), ...(await lintWarnings(model.moddleRoot))];
    return { model, warnings };
  }

  async deploy(xml: string, deployedBy: string | null): Promise<DeployResult> {
    const { model, warnings } = await this.check(xml);
    // One deployment per process key at a time, so versions are gapless and identical content lands once.
    return this.definitions.withKeyLocked(model.processId, async (manager) => {
      const existing = await this.definitions.findByChecksum(manager, model.processId, model.checksum);
      if (existing) return { definition: existing, created: false, warnings };

      const latest = await this.definitions.latest(model.processId, manager);
      const definition = await this.definitions.insert(manager, {
        key: model.processId,
        version: (latest?.version ?? 0) + 1,
        name: model.name,
        checksum: model.checksum,
        xml,
        jobTypes: [...model.jobTypes].sort(),
        deployedBy,
      });
      return { definition, created: true, warnings };
    });
  }

  /** Deploy every .bpmn file of a folder whose content changed (the shipped flows, on start). */
  async deployDirectory(dir: string): Promise<ProcessDefinitionEntity[]> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.bpmn')).sort();
    const deployed: ProcessDefinitionEntity[] = [];
    for (const file of files) {
      const result = await this.deploy(await readFile(join(dir, file), 'utf8'), 'system');
      if (result.created) {
        this.logger.log(
          `deployed ${result.definition.key} version ${result.definition.version} from ${file}`,
        );
      }
      deployed.push(result.definition);
    }
    return deployed;
  }

  /** `manager`: the caller's transaction, when there is one (the embedded database has a single connection). */
  async latest(key: string, manager?: EntityManager): Promise<ProcessDefinitionEntity> {
    const definition = await this.definitions.latest(key, manager);
    if (!definition) throw new NotFoundError(`no process definition "${key}" is deployed`);
    return definition;
  }

  async list(): Promise<ProcessDefinitionEntity[]> {
    return this.definitions.listLatest();
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

  /** The parsed process of a definition version, cached: versions never change once stored. */
  compiledFor(definitionId: string, manager?: EntityManager): Promise<CompiledProcess> {
    let compiled = this.compiled.get(definitionId);
    if (!compiled) {
      compiled = this.definitions.findById(definitionId, manager).then((definition) => {
        if (!definition) throw new NotFoundError(`process definition ${definitionId} does not exist`);
        return compileProcess(definition.xml);
      });
      compiled.catch(() => this.compiled.delete(definitionId));
      this.compiled.set(definitionId, compiled);
    }
    return compiled;
  }
}

function oneLine(message: string): string {
  return message
    .replace(/\s*\n\s*/g, '; ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** One bpmn-moddle import warning as an error: on the element when the message names one. */
function importProblem(warning: string): FieldError {
  const message = oneLine(warning);
  const duplicate = /duplicate ID <([^>]+)>/.exec(message);
  return { field: duplicate?.[1] ?? 'xml', message };
}
