import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { isUniqueViolation } from '../database/errors.js';
import type { CreateUserDto, UpdateUserDto } from './user.dto.js';
import { UserEntity, type Role } from './user.entity.js';

const BCRYPT_ROUNDS = 10;

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

  async findActive(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id, active: true });
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

  async update(id: string, input: UpdateUserDto): Promise<PublicUser> {
    const repository = this.dataSource.getRepository(UserEntity);
    if (!(await repository.existsBy({ id }))) throw new NotFoundError(`user ${id} does not exist`);
    await repository.update(
      { id },
      {
        ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...(input.roles !== undefined ? { roles: [...new Set(input.roles)] } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
        ...(input.password !== undefined
          ? { passwordHash: await bcrypt.hash(input.password, BCRYPT_ROUNDS) }
          : {}),
        updatedAt: new Date(),
      },
    );
    return repository.findOneByOrFail({ id });
  }
}
