import type { Clock } from '../platform/clock';
import { SessionCache, type SessionUser } from './session-cache';

const user = (id: string, roles: SessionUser['roles'] = ['applicant']): SessionUser => ({
  id,
  username: id,
  displayName: id,
  roles,
});

class StepClock implements Clock {
  ms = 1_000_000;
  now(): Date {
    return new Date(this.ms);
  }
}

describe('the token check’s user cache', () => {
  it('given a user kept for generation 3, then generation 3 is a hit and any other generation a miss', () => {
    const cache = new SessionCache(10, 5_000, new StepClock());
    cache.set(cache.mark(), 'u1', 3, user('u1'));

    expect(cache.get('u1', 3)).toEqual(user('u1'));
    expect(cache.get('u1', 2)).toBeUndefined();
    expect(cache.get('u1', 4)).toBeUndefined();
    expect(cache.get('u1', 3)).toEqual(user('u1'));
    expect(cache.stats()).toEqual({ hits: 2, misses: 2, entries: 1 });
  });

  it('given an entry, when its time to live has passed, then it is a miss and gone', () => {
    const clock = new StepClock();
    const cache = new SessionCache(10, 5_000, clock);
    cache.set(cache.mark(), 'u1', 0, user('u1'));

    clock.ms += 4_999;
    expect(cache.get('u1', 0)).toBeDefined();
    clock.ms += 1;
    expect(cache.get('u1', 0)).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('given a full cache, when another user is kept, then the least recently used one goes', () => {
    const cache = new SessionCache(2, 5_000, new StepClock());
    cache.set(cache.mark(), 'a', 0, user('a'));
    cache.set(cache.mark(), 'b', 0, user('b'));
    cache.get('a', 0); // a is now the most recently used

    cache.set(cache.mark(), 'c', 0, user('c'));

    expect(cache.stats().entries).toBe(2);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBeDefined();
    expect(cache.get('c', 0)).toBeDefined();
  });

  it('given a read that began before a user changed, when it is kept, then it is dropped instead', () => {
    const cache = new SessionCache(10, 5_000, new StepClock());
    const before = cache.mark();
    cache.forget('u1'); // the change commits while the read is in flight

    cache.set(before, 'u1', 0, user('u1', ['admin']));

    expect(cache.get('u1', 0)).toBeUndefined();
    cache.set(cache.mark(), 'u1', 0, user('u1'));
    expect(cache.get('u1', 0)).toEqual(user('u1'));
  });

  it('given a kept user whose roles array changes afterwards, then the cache holds its own copy', () => {
    const cache = new SessionCache(10, 5_000, new StepClock());
    const read = user('u1', ['applicant']);
    cache.set(cache.mark(), 'u1', 0, read);
    read.roles.push('admin');

    expect(cache.get('u1', 0)?.roles).toEqual(['applicant']);
  });

  it('given a time to live or size of 0, then nothing is kept', () => {
    for (const cache of [
      new SessionCache(10, 0, new StepClock()),
      new SessionCache(0, 5_000, new StepClock()),
    ]) {
      cache.set(cache.mark(), 'u1', 0, user('u1'));
      expect(cache.get('u1', 0)).toBeUndefined();
    }
  });
});
