import { Inject, Injectable } from '@nestjs/common';
import { looksLikeDmn } from '../decisions/index.js';
import { InvalidInputError, type FieldError } from '../platform/errors.js';
import { decodeXml } from '../platform/xml-text.js';
import { DecisionService, type CheckedDmn, type DecisionDeployResult } from './decision.service.js';
import { DefinitionService, type CheckedBpmn, type DeployedProcess } from './definition.service.js';
import { FormService, type FormDeployResult } from './form.service.js';

/** One file of a deployment: its name (the extension tells the kind) and its content. */
export interface DeploymentResource {
  readonly name: string;
  readonly content: string | Uint8Array;
}

export type ResourceKind = 'bpmn' | 'dmn' | 'form';

export interface DeploymentResult {
  /** Each executable process of each BPMN resource (a file may hold several), with the file's warnings. */
  readonly processes: Array<
    DeployedProcess & { readonly resource: string; readonly warnings: readonly FieldError[] }
  >;
  readonly decisions: Array<DecisionDeployResult & { readonly resource: string }>;
  readonly forms: Array<FormDeployResult & { readonly resource: string }>;
  /** false when every resource equals its latest version: nothing new was stored. */
  readonly created: boolean;
}

/** The kind of a resource: by its extension, else by its content (JSON is a form, DMN by its namespace). */
export function resourceKind(name: string, text: string): ResourceKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.form')) return 'form';
  if (lower.endsWith('.dmn')) return 'dmn';
  if (lower.endsWith('.bpmn') || lower.endsWith('.xml')) return looksLikeDmn(text) ? 'dmn' : 'bpmn';
  const start = text.trimStart();
  if (start.startsWith('{')) return 'form';
  return looksLikeDmn(text) ? 'dmn' : 'bpmn';
}

/**
 * A deployment of several resources (BPMN, DMN, Camunda Forms) as one: forms first, then decisions, then processes,
 * so a process may link a form or call a decision of the same deployment; all in one transaction, so a refused
 * resource stores none of them. Each refusal names its resource.
 */
@Injectable()
export class DeploymentService {
  constructor(
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(DecisionService) private readonly decisions: DecisionService,
    @Inject(FormService) private readonly forms: FormService,
  ) {}

  async deploy(
    resources: readonly DeploymentResource[],
    deployedBy: string | null,
  ): Promise<DeploymentResult> {
    if (resources.length === 0)
      throw new InvalidInputError('a deployment needs at least one resource', [
        { field: 'resources', message: 'is empty' },
      ]);
    const read = resources.map((resource) => {
      const text = typeof resource.content === 'string' ? resource.content : textOf(resource);
      return { ...resource, text, kind: resourceKind(resource.name, text) };
    });
    // Forms are read before anything is locked; one order of kinds and ids keeps concurrent deployments apart.
    const forms = read
      .filter((r) => r.kind === 'form')
      .map((r) => ({ resource: r.name, parsed: named(r.name, () => this.forms.parse(r.text)) }))
      .sort((a, b) => a.parsed.formId.localeCompare(b.parsed.formId));
    const duplicate = forms.find((f, i) => i > 0 && forms[i - 1]!.parsed.formId === f.parsed.formId);
    if (duplicate)
      throw new InvalidInputError(`form "${duplicate.parsed.formId}" is twice in the deployment`, [
        {
          field: duplicate.resource,
          message: `form id "${duplicate.parsed.formId}" is twice in the deployment`,
        },
      ]);
    const formIds = new Set(forms.map((f) => f.parsed.formId));
    return this.definitions.deployTogether(async (manager) => {
      const result: DeploymentResult = { processes: [], decisions: [], forms: [], created: false };
      for (const form of forms)
        result.forms.push({
          resource: form.resource,
          ...(await this.forms.deploy(form.parsed, deployedBy, manager)),
        });
      // Every DMN file checked first, then the file and decision keys of all of them locked in one sorted order (not
      // file by file: two deployments of crossed files would each hold a key the other waits for), then stored. The
      // same for BPMN files after them. Keys are taken kind by kind in one order for every deployment — forms,
      // then decisions, then processes — and a lone deploy of one kind takes only that kind's, so no two
      // deployments hold keys of one kind while waiting for keys of a kind taken before it.
      const dmn: Array<{ name: string; checked: CheckedDmn }> = [];
      for (const r of read.filter((x) => x.kind === 'dmn').sort(byName))
        dmn.push({
          name: r.name,
          checked: await namedAsync(r.name, () => this.decisions.checkForDeploy(r.text)),
        });
      await this.decisions.lockDecisionKeys(
        dmn.map((f) => f.checked),
        manager,
      );
      for (const file of dmn)
        result.decisions.push({
          resource: file.name,
          ...(await namedAsync(file.name, () => this.decisions.store(file.checked, deployedBy, manager))),
        });
      const bpmn: Array<{ name: string; checked: CheckedBpmn }> = [];
      for (const r of read.filter((x) => x.kind === 'bpmn').sort(byName))
        bpmn.push({
          name: r.name,
          checked: await namedAsync(r.name, () => this.definitions.check(r.text, { manager, formIds })),
        });
      await this.definitions.lockProcessKeys(
        bpmn.map((f) => f.checked),
        manager,
      );
      for (const file of bpmn) {
        const deployed = await namedAsync(file.name, () =>
          this.definitions.store(file.checked, deployedBy, manager),
        );
        for (const process of deployed.processes)
          result.processes.push({ resource: file.name, ...process, warnings: deployed.warnings });
      }
      const created = [...result.forms, ...result.decisions, ...result.processes].some((r) => r.created);
      return { ...result, created };
    });
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}

function textOf(resource: DeploymentResource): string {
  const bytes = Buffer.from(resource.content as Uint8Array);
  if (resource.name.toLowerCase().endsWith('.form')) return bytes.toString('utf8');
  const decoded = decodeXml(bytes);
  if (decoded.problem !== undefined)
    throw new InvalidInputError(`${resource.name}: ${decoded.problem}`, [
      { field: resource.name, message: decoded.problem },
    ]);
  return decoded.text;
}

/** A refusal of one resource, its fields prefixed with the resource's name. */
function rename(name: string, err: unknown): unknown {
  if (!(err instanceof InvalidInputError)) return err;
  const details: FieldError[] = (err.details ?? []).map((d) => ({ ...d, field: `${name}: ${d.field}` }));
  return new InvalidInputError(
    `${name}: ${err.message}`,
    details.length ? details : [{ field: name, message: err.message }],
  );
}

function named<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw rename(name, err);
  }
}

async function namedAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw rename(name, err);
  }
}
