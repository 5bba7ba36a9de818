import type { Clock } from '../platform/clock.js';
import type { UserEntity } from './user.entity.js';

/** What the token check needs of a user: who they are and their roles. */
export type SessionUser = Pick<UserEntity, 'id' | 'username' | 'displayName' | 'roles'>;

export interface SessionCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

/**
 * The active users that valid tokens were checked against lately, keyed by user id and token generation, so the
 * token check reads a user once per `ttlMs` instead of on every request. Bounded by `maxEntries` (the least
 * recently used goes first). A change to a user in this process (roles, password, activity, token generation)
 * forgets the user at once; a change made by another process is seen when the entry expires: `ttlMs` bounds how
 * long a revoked token, a deactivated user or a removed role can still be accepted here. Misses (unknown user,
 * old generation, inactive) are not kept, so a refused token costs a read each time, as before.
 */
export class SessionCache {
  /** By user id: only the current generation is ever read from the database, so one entry per user. */
  private readonly entries = new Map<
    string,
    { readonly generation: number; readonly user: SessionUser; readonly expiresAt: number }
  >();
  private hits = 0;
  private misses = 0;
  /** Bumped by every `forget`: a read that began before it must not be kept (it may hold the old row). */
  private changes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.maxEntries > 0 && this.ttlMs > 0;
  }

  /** The user cached for this id and generation, unless expired. */
  get(id: string, generation: number): SessionUser | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(id);
    if (entry && entry.generation === generation && entry.expiresAt > this.clock.now().getTime()) {
      // Most recently used last: eviction takes the map's first entry.
      this.entries.delete(id);
      this.entries.set(id, entry);
      this.hits += 1;
      return entry.user;
    }
    // An expired entry goes; one of another generation stays (an old token must not push out a newer one).
    if (entry && entry.generation === generation) this.entries.delete(id);
    this.misses += 1;
    return undefined;
  }

  /** Taken before reading a user from the database; `set` keeps the read only if nothing changed since. */
  mark(): number {
    return this.changes;
  }

  /** Keep a user just read for a valid token of this generation, unless a user changed since `mark`. */
  set(mark: number, id: string, generation: number, user: SessionUser): void {
    if (!this.enabled || mark !== this.changes) return;
    this.entries.delete(id);
    this.entries.set(id, {
      generation,
      user: { id: user.id, username: user.username, displayName: user.displayName, roles: [...user.roles] },
      expiresAt: this.clock.now().getTime() + this.ttlMs,
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Drop every generation of the user: their row changed in this process. */
  forget(id: string): void {
    this.changes += 1;
    this.entries.delete(id);
  }

  stats(): SessionCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size };
  }
}
