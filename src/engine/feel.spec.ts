import { checkFeel, evaluateFeel, feelExpressions } from './feel';

describe('FEEL expressions', () => {
  it('evaluates a gateway condition against process variables', () => {
    expect(evaluateFeel('=assessmentDecision = "approve"', { assessmentDecision: 'approve' })).toBe(true);
    expect(evaluateFeel('=source = "document" or source = "project-info"', { source: 'software' })).toBe(
      false,
    );
  });

  it('reports syntax errors without evaluating', () => {
    expect(checkFeel('=decision = "approve"')).toBeUndefined();
    expect(checkFeel('=decision = = ')).toMatch(/syntax error/);
    expect(checkFeel('=')).toMatch(/empty/);
  });

  it('never evaluates JavaScript templates: they are returned as written', () => {
    const context = { environment: { variables: { x: 1 } } };
    expect(feelExpressions.resolveExpression('${environment.variables.x}', context)).toBe(
      '${environment.variables.x}',
    );
    expect(feelExpressions.resolveExpression('=x + 1', context)).toBe(2);
  });
});
