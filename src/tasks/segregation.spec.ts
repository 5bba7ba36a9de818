import { segregationNeeds, segregationViolation } from './segregation';

describe('segregation of duties', () => {
  const facts = { applicant: 'alice', builders: new Set(['bob']) };

  it('keeps the applicant from assessing or approving their own request', () => {
    expect(segregationViolation('release-assessment', 'alice', facts)).toMatch(/applicant/);
    expect(segregationViolation('emergency-approval', 'alice', facts)).toMatch(/applicant/);
    expect(segregationViolation('release-assessment', 'carol', facts)).toBeUndefined();
  });

  it('keeps the builder from signing the test report', () => {
    expect(segregationViolation('test-report', 'bob', facts)).toMatch(/built the package/);
    expect(segregationViolation('test-report', 'carol', facts)).toBeUndefined();
    expect(segregationViolation('build-record', 'bob', facts)).toBeUndefined();
  });

  it('names the facts each form needs, none for a form the rule does not cover', () => {
    expect(segregationNeeds('release-assessment')).toEqual({ applicant: true, builders: false });
    expect(segregationNeeds('test-report')).toEqual({ applicant: false, builders: true });
    expect(segregationNeeds('build-record')).toEqual({ applicant: false, builders: false });
    expect(segregationNeeds(null)).toEqual({ applicant: false, builders: false });
  });
});
