import {
  checkFeel,
  createFeelExpressions,
  DEFAULT_FEEL_LIMITS,
  evaluateFeel,
  isPlainComparison,
  feelExpressions,
  measureFeel,
} from './feel';
import { evaluate } from 'feelin';

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

describe('FEEL bounds at deploy', () => {
  it('refuses an expression longer than the cap before parsing it', () => {
    const huge = `=${Array.from({ length: 20_000 }, (_, i) => `x${i} = 1`).join(' or ')}`;
    expect(huge.length).toBeGreaterThan(200_000);
    expect(checkFeel(huge)).toBe(
      `a FEEL expression may have at most ${DEFAULT_FEEL_LIMITS.maxLength} characters, this one has ${huge.length}`,
    );
  });

  it('refuses an expression with too many terms or brackets nested too deeply, before parsing it', () => {
    const terms = `=count([${Array.from({ length: 600 }, () => '1').join(',')}])`;
    expect(terms.length).toBeLessThan(DEFAULT_FEEL_LIMITS.maxLength);
    expect(checkFeel(terms)).toBe('a FEEL expression may have at most 1000 terms, this one has 1204');
    expect(checkFeel(`=${'('.repeat(60)}1${')'.repeat(60)}`)).toMatch(
      /nest brackets at most 50 levels deep, this one 60/,
    );
    expect(checkFeel(`=${'('.repeat(10)}1${')'.repeat(10)}`)).toBeUndefined();
    expect(
      checkFeel(`=${Array.from({ length: 100 }, (_, i) => `source = "s${i}"`).join(' or ')}`),
    ).toBeUndefined();
  });

  it('counts terms the way a reader would', () => {
    expect(measureFeel('a.b = "x (y" and f(1.5, [2]) >= 3..4')).toEqual({ terms: 18, depth: 2 });
  });

  it.each([
    ['=for i in 1..1000000000 return i', /iterates 1000000000 times/],
    ['=some a in 1..100000, b in 1..100000 satisfies a = b', /iterates 10000000000 times/],
    ['=for a in 1..1000 return for b in 1..1000 return a + b', /iterates 1000000 times/],
    ['=every x in -500000..500000 satisfies x > 0', /iterates 1000001 times/],
    ['=for i in 1..1.5 return i', /range 1\.\.1\.5 needs whole-number bounds/],
  ])('refuses %s', (expression, message) => {
    expect(checkFeel(expression)).toMatch(message);
  });

  it('takes iteration within the bound, and over variables (bounded when evaluated)', () => {
    expect(checkFeel('=for i in 1..100 return i * 2')).toBeUndefined();
    expect(checkFeel('=some a in [1, 2, 3], b in 1..1000 satisfies a = b')).toBeUndefined();
    expect(checkFeel('=for i in 1..n return i')).toBeUndefined();
    expect(checkFeel('=for i in 1..10 return i', { ...DEFAULT_FEEL_LIMITS, maxIterations: 5 })).toMatch(
      /iterates 10 times; at most 5|at most 5 are allowed/,
    );
  });
});

describe('FEEL bounds at run time', () => {
  it.each([
    ['=count(for i in 1..n return i)', { n: 1_000_000_000 }],
    ['=some a in 1..n, b in 1..n satisfies a = b + n', { n: 100_000 }],
    ['=for i in 1..n return i', { n: 1.5 }],
    ['=matches(text, "(a+)+$")', { text: `${'a'.repeat(40)}!` }],
  ])('stops %s when its time is up, and the next evaluation runs', (expression, variables) => {
    const started = Date.now();
    expect(() => evaluateFeel(expression, variables, 50)).toThrow(/did not finish within 50 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(evaluateFeel('=n + 1', { n: 1 })).toBe(2);
  });

  it.each([
    ['assessmentDecision = "rework"', true],
    ['source = "document" or source = "project-info"', true],
    ['release.risk >= -1.5 and note != "say \\"no\\""', true],
    ['reExecute', true],
    ['count(for i in 1..n return i) > 0', false],
    ['matches(text, "(a+)+$")', false],
    ['x in [1..5]', false],
    ['items[1] = 2', false],
    ['some a in l satisfies a', false],
    ['n + 1 > 2', false],
    ['not(flag)', false],
  ])('runs %s without the watchdog: %s', (expression, plain) => {
    expect(isPlainComparison(expression)).toBe(plain);
  });

  it('evaluates a plain comparison as before', () => {
    const source = '=source = "document" or source = "project-info"';
    expect(evaluateFeel(source, { source: 'project-info' })).toBe(true);
    expect(evaluateFeel(source, { source: 'code' })).toBe(false);
    expect(evaluateFeel('=release.risk >= 2 and approved', { release: { risk: 3 }, approved: true })).toBe(
      true,
    );
  });

  it('given plain comparisons over many sets of variables, then each answers what feelin answers over all of them', () => {
    const expressions = [
      'source = "document" or source = "project-info"',
      'decision = "approve" and risk < 3',
      'risk >= -1.5 and note != "say \\"no\\""',
      'reExecute = true',
      'reExecute',
      'missing = null',
      'release.risk > 2 or approved',
      'approved and not_there',
      'count = "1"',
    ];
    const values: unknown[] = [
      null,
      undefined,
      true,
      false,
      0,
      1,
      2.5,
      -1.5,
      3,
      '1',
      'approve',
      'document',
      '',
    ];
    const padding = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`answer${i}`, { list: [i, `${i}`], text: 'x'.repeat(i) }]),
    );
    const names = [
      'source',
      'decision',
      'risk',
      'note',
      'reExecute',
      'missing',
      'approved',
      'count',
      'not_there',
    ];
    let compared = 0;
    for (const [i, value] of values.entries()) {
      for (const [j, name] of names.entries()) {
        const other = values[(i + j) % values.length];
        const variables: Record<string, unknown> = {
          ...padding,
          [name]: value,
          [names[(j + 1) % names.length]!]: other,
          release: j % 2 ? { risk: value } : value,
        };
        for (const expression of expressions) {
          let expected: unknown;
          try {
            expected = evaluate(expression, variables).value;
          } catch {
            continue;
          }
          // Twice: the second may be a remembered result, which must be the same.
          expect([expression, variables, evaluateFeel(`=${expression}`, variables)]).toEqual([
            expression,
            variables,
            expected,
          ]);
          expect(evaluateFeel(`=${expression}`, variables)).toEqual(expected);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(900);
  });

  it('given a remembered plain comparison, when a value it reads changes, then it is evaluated again', () => {
    const condition = '=installResult = "success"';
    expect(evaluateFeel(condition, { installResult: 'success', other: 1 })).toBe(true);
    expect(evaluateFeel(condition, { installResult: 'failure', other: 1 })).toBe(false);
    expect(evaluateFeel(condition, { installResult: 'success', other: 2 })).toBe(true);
    expect(evaluateFeel(condition, { other: 1 })).toBe(false);
  });

  it('names the element an expression failed at, and refuses a value its check refuses', () => {
    const expressions = createFeelExpressions(300, (_expression, value) =>
      value === 'PT0S' ? 'a zero cycle would never stop' : undefined,
    );
    const at = (variables: Record<string, unknown>) => ({
      environment: { variables },
      content: { id: 'gate' },
    });
    expect(() => expressions.resolveExpression('=count(for i in 1..n return i) > 0', at({ n: 1e9 }))).toThrow(
      /^gate: FEEL .* did not finish within 300 ms$/,
    );
    expect(() => expressions.resolveExpression('=cycle', at({ cycle: 'PT0S' }))).toThrow(
      'gate: a zero cycle would never stop',
    );
    expect(expressions.resolveExpression('=cycle', at({ cycle: 'PT1H' }))).toBe('PT1H');
  });
});
