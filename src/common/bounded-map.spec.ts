import { BoundedMap } from './bounded-map';

describe('a bounded map', () => {
  it('given it is full, when a new key is set, then the oldest key goes and the others stay', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('c', 3);

    expect([...map.entries()]).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('given it is full, when a key it holds is set again, then nothing goes', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 10);

    expect([...map.entries()]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
  });

  it('given a key moved to the newest end (deleted and set again), when a new key comes, then the least recently used goes', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    map.delete('a');
    map.set('a', 1).set('c', 3);

    expect([...map.keys()]).toEqual(['a', 'c']);
  });
});
