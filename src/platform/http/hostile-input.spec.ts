import { findHostileInput, jsonDepthExceeds } from './hostile-input';

describe('hostile input', () => {
  describe('findHostileInput', () => {
    it('names a NUL or a lone surrogate in a nested string by its path', () => {
      const problems = findHostileInput({
        request: { title: 'a\u0000b', configurationItems: ['ok', 'x\ud800'] },
      });
      expect(problems).toEqual([
        { field: 'request.title', message: 'contains a NUL character' },
        { field: 'request.configurationItems.1', message: expect.stringMatching(/lone UTF-16 surrogate/) },
      ]);
    });

    it('names keys that reach a prototype or carry unstorable characters, escaped', () => {
      const body = JSON.parse('{"data":{"__proto__":{"x":1},"constructor":1,"toString":2,"a\\u0000":3}}');
      expect(findHostileInput(body).map((p) => p.field)).toEqual([
        'data.__proto__',
        'data.constructor',
        'data.toString',
        'data.a\\u0000',
      ]);
    });

    it('lets emoji, right-to-left text and paired surrogates through', () => {
      expect(findHostileInput({ title: '发布 😀 \u202eمرحبا\u202c', '🔑': ['\ud83d\ude00'] })).toEqual([]);
    });

    it('names a path parameter by its name', () => {
      expect(findHostileInput('\udfff', 'idOrNumber')).toEqual([
        { field: 'idOrNumber', message: expect.stringMatching(/surrogate/) },
      ]);
    });

    it('walks a value far deeper than the call stack without overflowing', () => {
      let deep: unknown = 'x\u0000';
      for (let i = 0; i < 100_000; i++) deep = [deep];
      expect(findHostileInput(deep)).toHaveLength(1);
    });

    it('walks a wide object and stops listing after twenty problems', () => {
      const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, '\u0000']));
      expect(findHostileInput(wide)).toHaveLength(20);
    });
  });

  describe('jsonDepthExceeds', () => {
    const depth = (text: string, limit: number) => jsonDepthExceeds(Buffer.from(text), limit);

    it('counts arrays and objects, not brackets inside strings', () => {
      expect(depth('{"a":[{"b":1}]}', 3)).toBe(false);
      expect(depth('{"a":[{"b":[1]}]}', 3)).toBe(true);
      expect(depth('{"a":"[[[[{{{{\\"[[[["}', 1)).toBe(false);
    });

    it('refuses 10,000 levels', () => {
      expect(depth('['.repeat(10_000) + ']'.repeat(10_000), 64)).toBe(true);
    });
  });
});
