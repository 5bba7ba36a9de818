import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Page, PageQueryDto } from '../http/page-query.dto.js';

/** The page a list asks for: `page` from 1, `pageSize` rows. */
export type PageRequest = Pick<PageQueryDto, 'page' | 'pageSize'>;

/** OFFSET and LIMIT of a page, for queries written as SQL. */
export function pageWindow(page: PageRequest): { offset: number; limit: number } {
  return { offset: (page.page - 1) * page.pageSize, limit: page.pageSize };
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
