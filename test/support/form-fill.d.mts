import type { FormComponent, FormJsSchema } from '../../src/definitions/index.js';

/** The fields of a form's top level by key: its inputs, and the groups with a path and dynamic lists. */
export function fieldsOf(schema: FormJsSchema): Map<string, FormComponent>;
/** The keys of a form's required top-level fields. */
export function requiredOf(schema: FormJsSchema): string[];
/** A valid value for one field of a form. */
export function sampleValue(name: string, field: FormComponent): unknown;
/** A valid value for every required field of a form. */
export function requiredSampleData(schema: FormJsSchema): Record<string, unknown>;
