import { evaluateFeel } from './feel';
import { applyMappings } from './variable-mappings';

describe('variable mappings', () => {
  const evaluate = (expression: string, variables: Record<string, unknown>) =>
    evaluateFeel(expression, variables);

  it('given FEEL and literal sources, when applied, then each lands in its target and later mappings see earlier ones', () => {
    const result = applyMappings(
      [
        { source: '=order.total * 2', target: 'doubled' },
        { source: 'production', target: 'environment' },
        { source: '=doubled + 1', target: 'next' },
      ],
      { order: { total: 21 } },
      evaluate,
    );

    expect(result).toEqual({ doubled: 42, environment: 'production', next: 43 });
  });

  it('given nested targets, when applied, then they extend the visible context without changing it', () => {
    const visible = { release: { version: '1.0', owner: 'ann' } };

    const result = applyMappings(
      [
        { source: '="2.0"', target: 'release.version' },
        { source: '="go"', target: 'release.approval.decision' },
      ],
      visible,
      evaluate,
    );

    expect(result).toEqual({ release: { version: '2.0', owner: 'ann', approval: { decision: 'go' } } });
    expect(visible).toEqual({ release: { version: '1.0', owner: 'ann' } });
  });
});
