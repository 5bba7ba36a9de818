import { totalFromPage } from './paginate';

describe('the total a page tells by itself', () => {
  it('given a page with fewer rows than its size, then the rows before it and on it are the total', () => {
    expect(totalFromPage({ page: 1, pageSize: 50 }, 3)).toBe(3);
    expect(totalFromPage({ page: 3, pageSize: 20 }, 7)).toBe(47);
    expect(totalFromPage({ page: 1, pageSize: 50 }, 0)).toBe(0);
  });

  it('given a full page, or an empty one past the first, then only a count can tell', () => {
    expect(totalFromPage({ page: 1, pageSize: 50 }, 50)).toBeUndefined();
    expect(totalFromPage({ page: 2, pageSize: 50 }, 0)).toBeUndefined();
  });
});
