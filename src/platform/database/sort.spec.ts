import { orderBySql, orderTerms } from './sort';

describe('the ORDER BY terms of a sort', () => {
  const columns = { createdAt: 't.created_at', name: 't.name' };

  it('given fields in turn, then their whitelisted columns in turn, and the tiebreak in the direction of the first', () => {
    const terms = orderTerms(
      [
        { field: 'name', descending: true },
        { field: 'createdAt', descending: false },
      ],
      columns,
      ['t.id'],
    );

    expect(orderBySql(terms)).toBe(
      't.name DESC NULLS LAST, t.created_at ASC NULLS LAST, t.id DESC NULLS LAST',
    );
  });

  it('given no field, then the tiebreak alone, ascending', () => {
    expect(orderBySql(orderTerms([], columns, ['t.id']))).toBe('t.id ASC NULLS LAST');
  });

  it('given a field outside the whitelist, then it is refused, never written into the SQL', () => {
    const field = 'name; DROP TABLE user_task' as 'name';
    expect(() => orderTerms([{ field, descending: false }], columns, ['t.id'])).toThrow(/not a sort field/);
  });
});
