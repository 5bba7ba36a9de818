/**
 * A JSON object stored in a jsonb column. `any` rather than `unknown` because TypeORM's partial-entity
 * types for insert/update reject `unknown` members.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;
