import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { isUniqueViolation } from '../platform/database/errors.js';
import type { CreateUserDto, UpdateUserDto } from './user.dto.js';
import type { UserEntity, Role } from './user.entity.js';
import { UserRepository } from './user.repository.js';
import { SessionCache, type SessionCacheStats, type SessionUser } from './session-cache.js';

export type PublicUser = Omit<UserEntity, 'passwordHash'>;

@Injectable()
export class UserService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserService.name);
  private readonly sessions: SessionCache;

  constructor(
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.sessions = new SessionCache(config.sessionCache.maxEntries, config.sessionCache.ttlMs, clock);
  }

  /** The first administrator comes from configuration (or a printed random password) when there is no user. */
  async onApplicationBootstrap(): Promise<void> {
    await this.users.withFirstAdminLock(async (manager) => {
      if ((await this.users.count(manager)) > 0) return;
      const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
      await this.users.insert(
        {
          id: randomUUID(),
          username: this.config.adminUsername,
          displayName: 'Administrator',
          email: null,
          passwordHash: await bcrypt.hash(password, this.config.bcryptRounds),
          roles: ['admin'],
          active: true,
        },
        manager,
      );
      if (this.config.adminPassword) {
        this.logger.log(`created the first administrator "${this.config.adminUsername}"`);
      } else {
        this.logger.warn(
          `created the first administrator: sign in as "${this.config.adminUsername}" with password "${password}" (shown once)`,
        );
      }
    });
  }

  /** The user if the password matches; undefined otherwise (same answer for unknown users). */
  async verify(username: string, password: string): Promise<UserEntity | undefined> {
    const user = await this.users.findWithPasswordHash(username.toLowerCase());
    // An unknown user costs what a known one does (same rounds), so the answer's time tells nothing.
    const hash =
      user?.passwordHash ??
      `$2b$${String(this.config.bcryptRounds).padStart(2, '0')}$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva`;
    const matches = await bcrypt.compare(password, hash);
    return user && matches && user.active ? user : undefined;
  }

  /**
   * The active user a token was signed for, if the token's generation is still current: from the session cache
   * when this process checked it within SESSION_CACHE_TTL_MS, else one primary-key read.
   */
  async findSessionUser(id: string, tokenGeneration: number): Promise<SessionUser | null> {
    const cached = this.sessions.get(id, tokenGeneration);
    if (cached) return cached;
    const mark = this.sessions.mark();
    const user = await this.users.findActiveByGeneration(id, tokenGeneration);
    if (user) this.sessions.set(mark, id, tokenGeneration, user);
    return user;
  }

  /** Hits and misses of the token check's user cache, for the metrics and the bench. */
  sessionCacheStats(): SessionCacheStats {
    return this.sessions.stats();
  }

  async findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findByUsername(username.toLowerCase());
  }

  async list(): Promise<PublicUser[]> {
    return this.users.listByUsername();
  }

  async withRole(role: Role): Promise<PublicUser[]> {
    return this.users.activeWithRole(role);
  }

  async create(input: CreateUserDto): Promise<PublicUser> {
    const user = {
      id: randomUUID(),
      username: input.username,
      displayName: input.displayName,
      email: input.email ?? null,
      passwordHash: await bcrypt.hash(input.password, this.config.bcryptRounds),
      roles: [...new Set(input.roles)],
      active: true,
    };
    try {
      await this.users.insert(user);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user "${input.username}" exists`);
      throw err;
    }
    return this.users.getById(user.id);
  }

  /**
   * Change a user as the administrator `actor`. A password change or a deactivation ends the user's sessions.
   * Refused (409, nothing changed): deactivating oneself, and leaving no active administrator. Changes that
   * could remove an administrator run one at a time under a lock, so two administrators demoting each other at
   * once cannot both see "another administrator is left".
   */
  async update(actor: { readonly id: string }, id: string, input: UpdateUserDto): Promise<PublicUser> {
    const passwordHash =
      input.password !== undefined ? await bcrypt.hash(input.password, this.config.bcryptRounds) : undefined;
    // Forgotten once committed; a token check that read the row meanwhile keeps nothing (see SessionCache.mark).
    const updated = await this.users.withAdminChangeLock(async (manager) => {
      const user = await this.users.findById(id, manager);
      if (!user) throw new NotFoundError(`user ${id} does not exist`);
      const roles = input.roles !== undefined ? [...new Set(input.roles)] : user.roles;
      const active = input.active ?? user.active;
      if (id === actor.id && user.active && !active) {
        throw new ConflictError('you cannot deactivate yourself: ask another administrator to do it');
      }
      const wasAdmin = user.active && user.roles.includes('admin');
      if (wasAdmin && !(active && roles.includes('admin'))) {
        if ((await this.users.countOtherActiveAdmins(manager, id)) === 0) {
          throw new ConflictError(
            `"${user.username}" is the last active administrator: make another user an administrator first`,
          );
        }
      }
      const endsSessions = passwordHash !== undefined || (user.active && !active);
      await this.users.update(
        id,
        {
          ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
          ...(input.email !== undefined ? { email: input.email } : {}),
          ...(input.roles !== undefined ? { roles } : {}),
          ...(input.active !== undefined ? { active } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          endSessions: endsSessions,
        },
        manager,
      );
      return this.users.getById(id, manager);
    });
    this.sessions.forget(id);
    return updated;
  }

  /** Sign the user out everywhere: every token signed so far stops working at the next request. */
  async revokeSessions(id: string): Promise<void> {
    const updated = await this.users.update(id, { endSessions: true });
    this.sessions.forget(id);
    if (!updated) throw new NotFoundError(`user ${id} does not exist`);
  }
}
