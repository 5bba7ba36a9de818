import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Page, PageQueryDto } from '../http/page-query.dto.js';

/** The page a list asks for: `page` from 1, `pageSize` rows. */
export type PageRequest = Pick<PageQueryDto, 'page' | 'pageSize'>;

/** OFFSET and LIMIT of a page, for queries written as SQL. */
export function pageWindow(page: PageRequest): { offset: number; limit: number } {
  return { offset: (page.page - 1) * page.pageSize, limit: page.pageSize };
}

/**
 * The total a page's rows tell by themselves: a page with fewer rows than its size, and either some rows or none
 * before it, ends the list, so the total is the rows before it and on it. Undefined when only a count can tell (a
 * full page, or an empty one past the end).
 */
export function totalFromPage(page: PageRequest, rows: number): number | undefined {
  const { offset, limit } = pageWindow(page);
  return rows < limit && (rows > 0 || offset === 0) ? offset + rows : undefined;
}

/**
 * One page of a query builder's rows and the total without paging, as every list endpoint answers.
 * The caller orders the query (with a unique tie-breaker, or pages may repeat or skip rows).
 */
export async function paginate<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  page: PageRequest,
): Promise<Page<T>> {
  const { offset, limit } = pageWindow(page);
  const [items, total] = await query.skip(offset).take(limit).getManyAndCount();
  return { items, total, page: page.page, pageSize: page.pageSize };
}
