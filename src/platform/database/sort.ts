/** One key of a list's order: a field the list offers, ascending or descending. */
export interface SortKey<F extends string> {
  readonly field: F;
  readonly descending: boolean;
}

/** One ORDER BY term: a column (or expression) of the query's own SQL and its direction. */
export interface OrderTerm {
  readonly column: string;
  readonly order: 'ASC' | 'DESC';
}

/**
 * The ORDER BY terms of a sort, each field's SQL taken from the list's whitelist (the request names a field, never
 * SQL), then the tiebreak columns in the direction of the first key, so a page neither repeats nor skips a row
 * and the descending order is the ascending one reversed. A field outside the whitelist is a programming error.
 */
export function orderTerms<F extends string>(
  sort: readonly SortKey<F>[],
  columns: Readonly<Record<F, string>>,
  tiebreak: readonly string[],
): OrderTerm[] {
  const terms = sort.map((key): OrderTerm => {
    if (!Object.hasOwn(columns, key.field)) throw new Error(`${key.field} is not a sort field of this list`);
    return { column: columns[key.field], order: key.descending ? 'DESC' : 'ASC' };
  });
  const order = sort[0]?.descending ? 'DESC' : 'ASC';
  return [...terms, ...tiebreak.map((column): OrderTerm => ({ column, order }))];
}

/** The terms as SQL, nulls last either way. */
export function orderBySql(terms: readonly OrderTerm[]): string {
  return terms.map((t) => `${t.column} ${t.order} NULLS LAST`).join(', ');
}
