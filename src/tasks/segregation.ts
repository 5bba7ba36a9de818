/** Segregation of duties (release-procedure: roles): who may not complete which form. */
const APPLICANT_MAY_NOT = new Set([
  'release-assessment',
  'emergency-approval',
  'plan-review',
  'deployment-authorisation',
]);
const BUILDER_MAY_NOT = new Set(['test-report', 'verification-record', 'external-test-report']);

export interface SegregationFacts {
  /** Who filed the release. */
  readonly applicant: string | null;
  /** Who completed a build of this release. */
  readonly builders: ReadonlySet<string>;
}

/** Which facts the rule needs for a task with this form: most forms need none, so nothing is read for them. */
export interface SegregationNeeds {
  readonly applicant: boolean;
  readonly builders: boolean;
}

export function segregationNeeds(formKey: string | null): SegregationNeeds {
  return {
    applicant: formKey !== null && APPLICANT_MAY_NOT.has(formKey),
    builders: formKey !== null && BUILDER_MAY_NOT.has(formKey),
  };
}

/** The reason the user may not complete a task with this form, or undefined when they may. */
export function segregationViolation(
  formKey: string | null,
  username: string,
  facts: SegregationFacts,
): string | undefined {
  if (!formKey) return undefined;
  if (APPLICANT_MAY_NOT.has(formKey) && facts.applicant === username) {
    return 'segregation of duties: the applicant may not assess or approve their own request';
  }
  if (BUILDER_MAY_NOT.has(formKey) && facts.builders.has(username)) {
    return 'segregation of duties: whoever built the package may not sign its test or verification report';
  }
  return undefined;
}
