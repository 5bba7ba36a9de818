import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The candidate groups of the procedure, plus the designers' and administrators' roles. */
export const ROLES = [
  'applicant',
  'project-manager',
  'network-engineer',
  'project-team',
  'test-team',
  'user-representative',
  'process-designer',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

@Entity('app_user')
export class UserEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Lower case, unique. */
  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 200 })
  displayName!: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  @Column({ name: 'password_hash', type: 'varchar', length: 100, select: false })
  passwordHash!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles!: Role[];

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** Tokens carry the generation they were signed in; raising it ends every session of the user. */
  @Column({ name: 'token_generation', type: 'integer', default: 0 })
  tokenGeneration!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
