import fc from 'fast-check';
import { unaryTest } from 'feelin';
import { isAnyEntry, passes, stringListOf, variablesOf } from './feel-cells';

describe('input entries', () => {
  it('"-" and an empty cell match anything', () => {
    expect(isAnyEntry('-')).toBe(true);
    expect(isAnyEntry('  ')).toBe(true);
    expect(isAnyEntry(undefined)).toBe(true);
    expect(isAnyEntry('"-"')).toBe(false);
  });

  it('tests the usual FEEL unary tests against the input value', () => {
    expect(passes('< 10', 9, {})).toBe(true);
    expect(passes('[1..5]', 6, {})).toBe(false);
    expect(passes('not("高")', '低', {})).toBe(true);
    expect(passes('>= limit', 7, { limit: 5 })).toBe(true);
    expect(passes('? > 5', 6, {})).toBe(true);
    expect(passes('null', null, {})).toBe(true);
    // A comparison FEEL cannot make (a number with a string) is null: no match.
    expect(passes('< 10', 'ten', {})).toBe(false);
  });

  it('decides a boolean literal without the interpreter, exactly as FEEL does', () => {
    for (const entry of ['true', 'false'])
      for (const value of [true, false, null, 'true', 1, 0])
        expect(passes(entry, value, {})).toBe(unaryTest(entry, { '?': value }).value === true);
  });

  it('gives a cell the variables it names, and only those', () => {
    const context = { limit: 5, 'max risk': 3, unrelated: { deep: [1, 2, 3] } };
    expect(variablesOf('>= limit', context)).toEqual({ limit: 5 });
    expect(variablesOf('< max risk', context)).toEqual({ 'max risk': 3 });
    expect(passes('< max risk', 2, context)).toBe(true);
    expect(passes('"a"', 'a', context)).toBe(true);
  });

  it('decides a list of string literals without the interpreter, exactly as FEEL does', () => {
    expect(stringListOf('"低", "中"')).toEqual(['低', '中']);
    expect(stringListOf('"a\\"b"')).toBeUndefined();
    expect(stringListOf('not("a")')).toBeUndefined();
    const literal = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !/["\\]/.test(s));
    fc.assert(
      fc.property(
        fc.array(literal, { minLength: 1, maxLength: 4 }),
        fc.oneof(literal, fc.integer(), fc.boolean(), fc.constant(null)),
        (strings, value) => {
          const entry = strings.map((s) => `"${s}"`).join(', ');
          expect(stringListOf(entry)).toEqual(strings);
          expect(passes(entry, value, {})).toBe(unaryTest(entry, { '?': value }).value === true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
