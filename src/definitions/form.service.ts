import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../platform/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InvalidInputError, NotFoundError, PayloadTooLargeError } from '../platform/errors.js';
import { fieldLabels, parseForm, validateFormData, type FormJsSchema, type ParsedForm } from './form-js.js';
import type { FormDefinitionEntity } from './form-definition.entity.js';
import { FormRepository, latestFormVersionSql, type FormVersionSummary } from './form.repository.js';
import { BoundedMap } from '../common/bounded-map.js';

export interface FormDeployResult {
  readonly form: FormVersionSummary;
  /** false when the content equals the latest version's: no new version. */
  readonly created: boolean;
}

/**
 * Camunda Forms: deployed and versioned by form id like processes, handed out with the tasks that link them, and
 * the server-side check of what a task's completion submits.
 */
@Injectable()
export class FormService {
  private readonly logger = new Logger(FormService.name);
  /** Versions never change once stored: kept by (form id, version), the least recently used dropped past the bound. */
  private readonly schemas = new BoundedMap<string, Promise<FormDefinitionEntity>>(FORM_VERSION_CACHE_SIZE);
  private readonly maxBytes: number;

  constructor(
    @Inject(FormRepository) private readonly forms: FormRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.maxBytes = config.definitions.maxBpmnBytes;
  }

  /** Read and check a form file without storing it: 400 listing every problem, 413 over the size cap. */
  parse(source: string | Record<string, unknown>): ParsedForm {
    const bytes =
      typeof source === 'string' ? Buffer.byteLength(source, 'utf8') : JSON.stringify(source).length;
    if (bytes > this.maxBytes)
      throw new PayloadTooLargeError(`a form file may be at most ${this.maxBytes} bytes`);
    const { form, errors } = parseForm(source, this.config.feel);
    if (!form)
      throw new InvalidInputError(
        `the form cannot be deployed: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        errors,
      );
    return form;
  }

  /**
   * Deploy a form: content that differs from the form id's latest version becomes the next version. `manager`: the
   * transaction of a deployment of several resources, which commits or fails as one.
   */
  async deploy(
    source: string | Record<string, unknown> | ParsedForm,
    deployedBy: string | null,
    manager?: EntityManager,
  ): Promise<FormDeployResult> {
    const parsed = isParsed(source) ? source : this.parse(source);
    return this.forms.withFormIdLocked(
      parsed.formId,
      async (m) => {
        const latest = await this.forms.latest(parsed.formId, m);
        if (latest?.checksum === parsed.checksum) return { form: summary(latest), created: false };
        const row = await this.forms.insert(m, {
          formId: parsed.formId,
          version: (latest?.version ?? 0) + 1,
          name: parsed.name,
          checksum: parsed.checksum,
          schema: parsed.schema,
          deployedBy,
          deployedAt: this.clock.now(),
        });
        return { form: summary(row), created: true };
      },
      manager,
    );
  }

  /** Deploy every .form file of a folder whose content changed (the shipped forms, on start). */
  async deployDirectory(dir: string): Promise<FormDeployResult[]> {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.form')).sort();
    const results: FormDeployResult[] = [];
    for (const file of files) {
      const result = await this.deploy(await readFile(join(dir, file), 'utf8'), 'system');
      if (result.created)
        this.logger.log(`deployed form ${result.form.formId} version ${result.form.version} from ${file}`);
      results.push(result);
    }
    return results;
  }

  /** Every deployed form id (`manager`: the caller's transaction, when there is one). */
  ids(manager?: EntityManager): Promise<Set<string>> {
    return this.forms.formIds(manager);
  }

  /** The version a task created now links (binding "latest") as SQL over a bound parameter (`$3`) holding the form id, for a statement that is made anyway. */
  readonly latestVersionSql: (parameter: string) => string = latestFormVersionSql;

  async list(): Promise<FormVersionSummary[]> {
    return this.forms.listLatest();
  }

  async versions(formId: string): Promise<FormVersionSummary[]> {
    const rows = await this.forms.versions(formId);
    if (rows.length === 0) throw new NotFoundError(`no form "${formId}" is deployed`);
    return rows;
  }

  /** A form version (null: the latest), with its schema. */
  async version(
    formId: string,
    version: number | null,
    manager?: EntityManager,
  ): Promise<FormDefinitionEntity> {
    if (version === null) {
      const latest = await this.forms.latest(formId, manager);
      if (!latest) throw new NotFoundError(`no form "${formId}" is deployed`);
      return latest;
    }
    const cacheKey = `${formId}@${version}`;
    let found = this.schemas.get(cacheKey);
    if (found) {
      // Most recently used last: the bound drops from the front.
      this.schemas.delete(cacheKey);
      this.schemas.set(cacheKey, found);
    } else {
      found = this.forms.findVersion(formId, version, manager).then((row) => {
        if (!row) throw new NotFoundError(`form "${formId}" has no version ${version}`);
        return row;
      });
      found.catch(() => this.schemas.delete(cacheKey));
      this.schemas.set(cacheKey, found);
    }
    return found;
  }

  /**
   * The data as the form lets it through: 400 with one entry per field error when it does not fit; a field hidden
   * by its condition is not required and its value is dropped.
   */
  validateWith(
    schema: FormJsSchema,
    data: Record<string, unknown>,
    name = schema.id,
  ): Record<string, unknown> {
    const { data: accepted, errors } = validateFormData(schema, data);
    if (errors.length === 0) return accepted;
    throw new InvalidInputError(
      `the ${name} form is not valid: ${errors.map((d) => `${d.field} ${d.message}`).join('; ')}`,
      errors,
    );
  }

  /**
   * The labels of the latest version's fields by key, per form id, for reports (empty for a form not deployed):
   * one read of the latest version numbers, the versions themselves from the cache.
   */
  async labels(
    formIds: readonly string[],
    manager?: EntityManager,
  ): Promise<Map<string, Record<string, string>>> {
    const versions = await this.forms.latestVersions(manager, formIds);
    const labels = new Map<string, Record<string, string>>();
    for (const formId of formIds) {
      const version = versions.get(formId);
      labels.set(
        formId,
        version === undefined ? {} : fieldLabels((await this.version(formId, version, manager)).schema),
      );
    }
    return labels;
  }
}

/** Form versions kept in memory per process (a schema is a few KB). */
export const FORM_VERSION_CACHE_SIZE = 500;

function isParsed(source: unknown): source is ParsedForm {
  return typeof source === 'object' && source !== null && 'checksum' in source && 'formId' in source;
}

function summary(row: FormDefinitionEntity): FormVersionSummary {
  const { schema: _schema, ...rest } = row;
  return rest;
}
