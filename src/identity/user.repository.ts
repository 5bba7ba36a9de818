import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../platform/clock.js';
import { lockForTransaction } from '../platform/database/advisory-lock.js';
import { UserEntity, type Role } from './user.entity.js';

/** Serialises the changes that can take an administrator away (role change, deactivation). */
const ADMIN_CHANGE_LOCK = 'app_user:admins';
/** Serialises processes starting side by side, so only one creates the first administrator. */
const FIRST_ADMIN_LOCK = 'first-admin';

/** The columns of a new user row. */
export type NewUser = Pick<
  UserEntity,
  'id' | 'username' | 'displayName' | 'email' | 'passwordHash' | 'roles' | 'active'
>;

/** The columns a change may set. */
export type UserChange = Partial<
  Pick<UserEntity, 'displayName' | 'email' | 'roles' | 'active' | 'passwordHash'>
> & {
  /** Ends every session signed so far. */
  readonly endSessions?: boolean;
};

/** All SQL of users (`app_user`). */
@Injectable()
export class UserRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Run `fn` in a transaction that nobody else creating the first administrator runs at the same time. */
  async withFirstAdminLock<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await lockForTransaction(manager, FIRST_ADMIN_LOCK);
      return fn(manager);
    });
  }

  /** Run `fn` in a transaction that holds the administrators: changes that may remove one go one at a time. */
  async withAdminChangeLock<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await lockForTransaction(manager, ADMIN_CHANGE_LOCK);
      return fn(manager);
    });
  }

  async count(manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.getRepository(UserEntity).count();
  }

  /** Throws the driver's unique violation when the username is taken. */
  async insert(user: NewUser, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const now = this.clock.now();
    await manager.getRepository(UserEntity).insert({ ...user, createdAt: now, updatedAt: now });
  }

  /** With the password hash, which other reads leave out. */
  async findWithPasswordHash(username: string): Promise<UserEntity | null> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.username = :username', { username })
      .getOne();
  }

  async findActiveByGeneration(id: string, tokenGeneration: number): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id, active: true, tokenGeneration });
  }

  async findByUsername(username: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ username });
  }

  async findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOneBy({ id });
  }

  async getById(id: string, manager: EntityManager = this.dataSource.manager): Promise<UserEntity> {
    return manager.getRepository(UserEntity).findOneByOrFail({ id });
  }

  async listByUsername(): Promise<UserEntity[]> {
    return this.dataSource.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  async activeWithRole(role: Role): Promise<UserEntity[]> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where(':role = ANY(u.roles)', { role })
      .andWhere('u.active')
      .getMany();
  }

  /** Active administrators other than `id`. */
  async countOtherActiveAdmins(manager: EntityManager, id: string): Promise<number> {
    return manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where(':admin = ANY(u.roles) AND u.active AND u.id <> :id', { admin: 'admin', id })
      .getCount();
  }

  /** Set the given columns (and end the sessions when asked); false when there is no such user. */
  async update(
    id: string,
    change: UserChange,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const { endSessions, ...columns } = change;
    const result = await manager.getRepository(UserEntity).update(
      { id },
      {
        ...columns,
        ...(endSessions ? { tokenGeneration: () => 'token_generation + 1' } : {}),
        updatedAt: this.clock.now(),
      },
    );
    return Boolean(result.affected);
  }
}
