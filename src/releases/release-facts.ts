import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import type { FiledReleases } from './filed-releases.js';
import type { ReleaseEntity } from './release.entity.js';
import { UUID } from '../platform/uuid.js';
import { findReleaseById } from './release.repository.js';
import type { JobContext } from '../queue/job-handler.port.js';

/** What names a release to others (a CMDB, a notice): its id, number, title, class and source. */
export type ReleaseNaming = Pick<ReleaseEntity, 'id' | 'number' | 'title' | 'releaseClass' | 'source'>;

/** What a service task knows of its release: the record as filed, updated by the process variables. */
export interface ReleaseFacts<R extends ReleaseNaming = ReleaseEntity> {
  readonly release: R;
  /** 版本号, else the release number until one is allocated. */
  readonly version: string;
  readonly configurationItems: readonly string[];
  readonly distributionMethods: readonly string[];
  readonly distributionScope: string | null;
  readonly rollbackPlan: string | null;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** The release a job works for: the `releaseId` variable, else the instance's business key. */
export async function loadReleaseFacts(
  context: JobContext,
  manager: EntityManager,
): Promise<ReleaseFacts | null> {
  const id = releaseIdOf(context);
  const release = id ? await findReleaseById(manager, id) : null;
  if (!release) return null;
  return factsOf(release, versionOf(release, context.variables), release.request, context.variables);
}

/** The release facts, or a failure that no retry can mend: the instance is not a release's. */
export async function requireReleaseFacts(
  context: JobContext,
  manager: EntityManager,
): Promise<ReleaseFacts> {
  const facts = await loadReleaseFacts(context, manager);
  if (!facts)
    throw new UnrecoverableError(`${context.jobType}: the instance is not a release (no releaseId)`);
  return facts;
}

/** What a job needs to name its release's package: the release's id, source and version. */
export interface ReleaseRef {
  readonly id: string;
  readonly source: ReleaseEntity['source'];
  readonly version: string;
}

/**
 * The release's id, source and version, from the job's variables when they carry all three (a release flow's
 * read-only `releaseId`, and the `source` and `versionNumber` its record follows): then the release is not
 * read. Otherwise from the record, as requireReleaseFacts finds it.
 */
export async function requireReleaseRef(context: JobContext, manager: EntityManager): Promise<ReleaseRef> {
  const v = context.variables;
  const id = text(v.releaseId);
  const source = text(v.source);
  const version = text(v.versionNumber);
  if (id && UUID.test(id) && source && version) {
    return { id, source: source as ReleaseEntity['source'], version };
  }
  const facts = await requireReleaseFacts(context, manager);
  return { id: facts.release.id, source: facts.release.source, version: facts.version };
}

/**
 * The facts naming the release, without reading its record when this process knows the release's filing (see
 * FiledReleases) and the job is of the release's own flow with its title, source and version number as variables:
 * the record follows those variables of its flow in the transaction of each pass, and the request never changes
 * once filed. Otherwise from the record, as requireReleaseFacts reads it (and its filing is kept).
 */
export async function requireReleaseNaming(
  context: JobContext,
  manager: EntityManager,
  filed: FiledReleases,
): Promise<ReleaseFacts<ReleaseNaming>> {
  const v = context.variables;
  const id = releaseIdOf(context);
  const known = id ? filed.get(id) : undefined;
  const title = text(v.title);
  const source = text(v.source);
  const version = text(v.versionNumber);
  if (known && known.instanceId === context.instanceId && title && source && version) {
    const release: ReleaseNaming = {
      id: known.id,
      number: known.number,
      title,
      releaseClass: known.releaseClass,
      source: source as ReleaseEntity['source'],
    };
    return factsOf(release, version, known.request, v);
  }
  const facts = await requireReleaseFacts(context, manager);
  filed.remember(facts.release);
  return facts;
}

/** The version a release's package and CIs carry: the allocated version number, else the release number. */
export function versionOf(release: ReleaseEntity, variables: Readonly<Record<string, unknown>> = {}): string {
  return text(variables.versionNumber) ?? release.versionNumber ?? release.number;
}

function releaseIdOf(context: JobContext): string | null {
  return typeof context.variables.releaseId === 'string' ? context.variables.releaseId : context.businessKey;
}

function factsOf<R extends ReleaseNaming>(
  release: R,
  version: string,
  request: Readonly<Record<string, unknown>>,
  v: Readonly<Record<string, unknown>>,
): ReleaseFacts<R> {
  return {
    release,
    version,
    configurationItems: strings(v.configurationItems) ?? strings(request.configurationItems) ?? [],
    distributionMethods: strings(v.distributionMethods) ?? strings(request.distributionMethods) ?? [],
    distributionScope: text(v.distributionScope) ?? text(request.distributionScope) ?? null,
    rollbackPlan: text(v.rollbackPlan) ?? text(request.rollbackPlan) ?? null,
    variables: v,
  };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((x) => typeof x === 'string') ? (value as string[]) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}
