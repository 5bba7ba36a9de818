import { z } from 'zod';
import type { SortKey } from '../platform/database/sort.js';
import { InvalidInputError, NotImplementedError } from '../platform/errors.js';

/**
 * The request bodies of the Camunda 8 REST API (8.8) that this service takes, checked field by field. Fields of
 * Camunda's bodies that this service does not offer are accepted at their neutral value (an empty list, the
 * default tenant) and answered 501 otherwise; fields that no version of the API has are refused (400).
 */

/** An int64 key, as a decimal string (a number is taken too). */
export const key = z
  .union([z.string().regex(/^[0-9]{1,19}$/, 'must be an int64 key'), z.number().int().nonnegative()])
  .transform(String);

const variables = z.record(z.string(), z.unknown());
const tenantId = z.string().max(256).optional();

/** A filter value: the value itself or `{ $eq: value }` (other operators are not offered). */
function filterOf<T extends z.ZodType>(value: T) {
  const operator = z.object({ $eq: value }).strict();
  return z
    .union([value, operator])
    .transform((f): z.output<T> =>
      typeof f === 'object' && f !== null && '$eq' in f
        ? (f as { $eq: z.output<T> }).$eq
        : (f as z.output<T>),
    );
}

const page = z
  .object({
    from: z.number().int().min(0).max(100_000).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    after: z.string().optional(),
    before: z.string().optional(),
  })
  .strict()
  .optional();

const sort = z
  .array(z.object({ field: z.string(), order: z.enum(['ASC', 'DESC', 'asc', 'desc']).optional() }).strict())
  .optional();

function searchOf<F extends z.ZodRawShape>(filter: F) {
  return z.object({ filter: z.object(filter).strict().optional(), page, sort }).strict();
}

export const createProcessInstance = z
  .object({
    processDefinitionId: z.string().min(1).max(255).optional(),
    processDefinitionVersion: z.number().int().min(-1).max(2_147_483_647).optional(),
    processDefinitionKey: key.optional(),
    variables: variables.optional(),
    tenantId,
    operationReference: z.union([z.string(), z.number()]).optional(),
    startInstructions: z.array(z.unknown()).max(0, 'start instructions are not supported').optional(),
    runtimeInstructions: z.array(z.unknown()).max(0, 'runtime instructions are not supported').optional(),
    awaitCompletion: z.boolean().optional(),
    fetchVariables: z.array(z.string()).optional(),
    requestTimeout: z.number().int().optional(),
    tags: z.array(z.string()).max(0, 'tags are not supported').optional(),
  })
  .strict();

export const processInstanceSearch = searchOf({
  processDefinitionId: filterOf(z.string().max(255)).optional(),
  processDefinitionVersion: filterOf(z.number().int()).optional(),
  processDefinitionKey: filterOf(key).optional(),
  processInstanceKey: filterOf(key).optional(),
  state: filterOf(z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED'])).optional(),
  tenantId: z.unknown().optional(),
});

export const cancelProcessInstance = z
  .object({ operationReference: z.union([z.string(), z.number()]).optional() })
  .strict()
  .nullable()
  .optional();

export const processDefinitionSearch = searchOf({
  processDefinitionId: filterOf(z.string().max(255)).optional(),
  processDefinitionKey: filterOf(key).optional(),
  name: filterOf(z.string().max(255)).optional(),
  version: z.number().int().optional(),
  isLatestVersion: z.boolean().optional(),
  tenantId: z.unknown().optional(),
});

export const userTaskSearch = searchOf({
  userTaskKey: filterOf(key).optional(),
  processInstanceKey: filterOf(key).optional(),
  processDefinitionId: filterOf(z.string().max(255)).optional(),
  elementId: filterOf(z.string().max(255)).optional(),
  state: filterOf(z.enum(['CREATED', 'COMPLETED', 'CANCELED'])).optional(),
  assignee: filterOf(z.string().max(64)).optional(),
  candidateGroup: filterOf(z.string().max(100)).optional(),
  tenantId: z.unknown().optional(),
});

export const assignUserTask = z
  .object({
    assignee: z.string().min(1).max(64),
    allowOverride: z.boolean().nullable().optional(),
    action: z.string().nullable().optional(),
  })
  .strict();

export const userTaskChange = z
  .object({ action: z.string().nullable().optional() })
  .strict()
  .nullable()
  .optional();

export const completeUserTask = z
  .object({ variables: variables.nullable().optional(), action: z.string().nullable().optional() })
  .strict()
  .nullable()
  .optional();

export const activateJobs = z
  .object({
    type: z.string().min(1).max(255),
    worker: z.string().min(1).max(255).optional(),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600 * 1000),
    maxJobsToActivate: z.number().int().min(1).max(1000),
    fetchVariable: z.array(z.string().min(1).max(255)).max(1000).optional(),
    requestTimeout: z.number().int().optional(),
    tenantIds: z.array(z.string()).optional(),
  })
  .strict();

export const completeJob = z
  .object({ variables: variables.nullable().optional(), result: z.unknown().optional() })
  .strict()
  .nullable()
  .optional();

export const failJob = z
  .object({
    retries: z.number().int().min(0).max(1_000_000).optional(),
    errorMessage: z.string().max(10_000).optional(),
    retryBackOff: z
      .number()
      .int()
      .min(0)
      .max(24 * 3600 * 1000)
      .optional(),
    variables: variables.optional(),
  })
  .strict()
  .nullable()
  .optional();

export const throwJobError = z
  .object({
    errorCode: z.string().min(1).max(255),
    errorMessage: z.string().max(10_000).nullable().optional(),
    variables: variables.nullable().optional(),
  })
  .strict();

export const updateJob = z
  .object({
    changeset: z
      .object({
        retries: z.number().int().min(0).max(1_000_000).nullable().optional(),
        timeout: z.number().int().nullable().optional(),
      })
      .strict(),
    operationReference: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

export const publishMessage = z
  .object({
    name: z.string().min(1).max(255),
    correlationKey: z.string().max(255).optional(),
    timeToLive: z
      .number()
      .int()
      .min(0)
      .max(365 * 24 * 3600 * 1000)
      .optional(),
    messageId: z.string().min(1).max(255).optional(),
    variables: variables.optional(),
    tenantId,
  })
  .strict();

export const correlateMessage = z
  .object({
    name: z.string().min(1).max(255),
    correlationKey: z.string().max(255).optional(),
    variables: variables.optional(),
    tenantId,
  })
  .strict();

export const broadcastSignal = z
  .object({ signalName: z.string().min(1).max(255), variables: variables.optional(), tenantId })
  .strict();

export const incidentSearch = searchOf({
  incidentKey: filterOf(key).optional(),
  processInstanceKey: filterOf(key).optional(),
  processDefinitionId: filterOf(z.string().max(255)).optional(),
  jobKey: filterOf(key).optional(),
  state: filterOf(z.enum(['ACTIVE', 'RESOLVED', 'MIGRATED', 'PENDING'])).optional(),
  tenantId: z.unknown().optional(),
});

export const resolveIncident = z
  .object({ operationReference: z.union([z.string(), z.number()]).optional() })
  .strict()
  .nullable()
  .optional();

export const variableSearch = searchOf({
  processInstanceKey: filterOf(key).optional(),
  scopeKey: filterOf(key).optional(),
  variableKey: filterOf(key).optional(),
  name: filterOf(z.string().max(255)).optional(),
  tenantId: z.unknown().optional(),
});

export const evaluateDecision = z
  .object({
    decisionDefinitionId: z.string().min(1).max(255).optional(),
    decisionDefinitionKey: key.optional(),
    variables: variables.optional(),
    tenantId,
  })
  .strict();

/** The default (and only) tenant: a body naming another tenant is answered 501. */
export const DEFAULT_TENANT = '<default>';

/** Check a body against its schema: 400 naming each field in error (nothing changed). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? undefined);
  if (result.success) {
    refuseOtherTenants(result.data);
    return result.data;
  }
  const details = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    message:
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.join(', ')}: not a field of this request`
        : issue.message,
  }));
  throw new InvalidInputError(
    `invalid input: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
    details,
  );
}

/** Tenants are not offered: only the default one is accepted where a body names one. */
function refuseOtherTenants(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const tenant = (body as { tenantId?: unknown }).tenantId;
  if (typeof tenant === 'string' && tenant !== DEFAULT_TENANT) {
    throw new NotImplementedError(
      `multi-tenancy is not supported: tenantId must be "${DEFAULT_TENANT}" or left out`,
    );
  }
  const tenants = (body as { tenantIds?: unknown }).tenantIds;
  if (Array.isArray(tenants) && tenants.some((t) => t !== DEFAULT_TENANT)) {
    throw new NotImplementedError(
      `multi-tenancy is not supported: tenantIds may name only "${DEFAULT_TENANT}"`,
    );
  }
}

/**
 * A search's `sort`, checked against the fields Camunda's specification lists for that search: each maps to the
 * field this service sorts by, to false when every item has the same value (tenantId: it orders nothing), or to
 * null when the service does not store it (501). A field the specification does not list for the search is refused
 * (400 naming it). Camunda's default order is ascending; a field named twice
 * counts once, where first named.
 */
export function sortOf<F extends string>(
  request: { sort?: ReadonlyArray<{ field: string; order?: string }> },
  fields: Readonly<Record<string, F | null | false>>,
): Array<SortKey<F>> {
  const keys: Array<SortKey<F>> = [];
  const named = new Set<string>();
  for (const [index, { field, order }] of (request.sort ?? []).entries()) {
    if (!Object.hasOwn(fields, field)) {
      const message = `"${field.slice(0, 60)}" is not a sort field of this search: one of ${Object.keys(fields).join(', ')}`;
      throw new InvalidInputError(`sort[${index}].field ${message}`, [
        { field: `sort[${index}].field`, message },
      ]);
    }
    const ours = fields[field];
    if (ours === null || ours === undefined) {
      throw new NotImplementedError(`sorting by ${field} is not supported: this service does not store it`);
    }
    if (ours === false || named.has(field)) continue;
    named.add(field);
    keys.push({ field: ours, descending: order?.toUpperCase() === 'DESC' });
  }
  return keys;
}

/** A page's offset and size from Camunda's `page` (offset pagination only). */
export function pageOf(request: {
  page?: { from?: number; limit?: number; after?: string; before?: string };
}): {
  from: number;
  limit: number;
} {
  if (request.page?.after !== undefined || request.page?.before !== undefined) {
    throw new NotImplementedError(
      'cursor pagination (page.after, page.before) is not supported: use page.from and page.limit',
    );
  }
  return { from: request.page?.from ?? 0, limit: request.page?.limit ?? 100 };
}
