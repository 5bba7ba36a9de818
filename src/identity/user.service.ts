import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { isUniqueViolation } from '../platform/database/errors.js';
import type { CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserEntity, type Role } from './user.entity.js';

const BCRYPT_ROUNDS = 10;
/** Serialises the changes that can take an administrator away (role change, deactivation). */
const ADMIN_CHANGE_LOCK = 'app_user:admins';

export type PublicUser = Omit<UserEntity, 'passwordHash'>;

@Injectable()
export class UserService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserService.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The first administrator comes from configuration (or a printed random password) when there is no user. */
  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['first-admin']);
      const count = await manager.getRepository(UserEntity).count();
      if (count > 0) return;
      const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
      await manager.getRepository(UserEntity).insert({
        id: randomUUID(),
        username: this.config.adminUsername,
        displayName: 'Administrator',
        email: null,
        passwordHash: await bcrypt.hash(password, BCRYPT_ROUNDS),
        roles: ['admin'],
        active: true,
      });
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
    const user = await this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username: username.toLowerCase() })
      .getOne();
    const hash = user?.passwordHash ?? '$2b$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva';
    const matches = await bcrypt.compare(password, hash);
    return user && matches && user.active ? user : undefined;
  }

  /** The active user a token was signed for, if the token's generation is still current (one primary-key read). */
  async findSessionUser(id: string, tokenGeneration: number): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id, active: true, tokenGeneration });
  }

  async findByUsername(username: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ username: username.toLowerCase() });
  }

  async list(): Promise<PublicUser[]> {
    return this.dataSource.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  async withRole(role: Role): Promise<PublicUser[]> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where(':role = ANY(u.roles)', { role })
      .andWhere('u.active')
      .getMany();
  }

  async create(input: CreateUserDto): Promise<PublicUser> {
    const user = {
      id: randomUUID(),
      username: input.username,
      displayName: input.displayName,
      email: input.email ?? null,
      passwordHash: await bcrypt.hash(input.password, BCRYPT_ROUNDS),
      roles: [...new Set(input.roles)],
      active: true,
    };
    try {
      await this.dataSource.getRepository(UserEntity).insert(user);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user "${input.username}" exists`);
      throw err;
    }
    return this.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.id });
  }

  /**
   * Change a user as the administrator `actor`. A password change or a deactivation ends the user's sessions.
   * Refused (409, nothing changed): deactivating oneself, and leaving no active administrator. Changes that
   * could remove an administrator run one at a time under a lock, so two administrators demoting each other at
   * once cannot both see "another administrator is left".
   */
  async update(actor: { readonly id: string }, id: string, input: UpdateUserDto): Promise<PublicUser> {
    const passwordHash =
      input.password !== undefined ? await bcrypt.hash(input.password, BCRYPT_ROUNDS) : undefined;
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(UserEntity);
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ADMIN_CHANGE_LOCK]);
      const user = await repository.findOneBy({ id });
      if (!user) throw new NotFoundError(`user ${id} does not exist`);
      const roles = input.roles !== undefined ? [...new Set(input.roles)] : user.roles;
      const active = input.active ?? user.active;
      if (id === actor.id && user.active && !active) {
        throw new ConflictError('you cannot deactivate yourself: ask another administrator to do it');
      }
      const wasAdmin = user.active && user.roles.includes('admin');
      if (wasAdmin && !(active && roles.includes('admin'))) {
        const otherAdmins = await repository
          .createQueryBuilder('u')
          .where(':admin = ANY(u.roles) AND u.active AND u.id <> :id', { admin: 'admin', id })
          .getCount();
        if (otherAdmins === 0) {
          throw new ConflictError(
            `"${user.username}" is the last active administrator: make another user an administrator first`,
          );
        }
      }
      const endsSessions = passwordHash !== undefined || (user.active && !active);
      await repository.update(
        { id },
        {
          ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
          ...(input.email !== undefined ? { email: input.email } : {}),
          ...(input.roles !== undefined ? { roles } : {}),
          ...(input.active !== undefined ? { active } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          ...(endsSessions ? { tokenGeneration: () => 'token_generation + 1' } : {}),
          updatedAt: new Date(),
        },
      );
      return repository.findOneByOrFail({ id });
    });
  }

  /** Sign the user out everywhere: every token signed so far stops working at the next request. */
  async revokeSessions(id: string): Promise<void> {
    const result = await this.dataSource
      .getRepository(UserEntity)
      .update({ id }, { tokenGeneration: () => 'token_generation + 1', updatedAt: new Date() });
    if (!result.affected) throw new NotFoundError(`user ${id} does not exist`);
  }
}
