import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One deployed version of a DMN file (its decision requirements graph), stored once for all its decisions. */
@Entity('decision_requirements')
export class DecisionRequirementsEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The id of the file's definitions element. */
  @Column({ name: 'requirements_key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'char', length: 64 })
  checksum!: string;

  @Column({ type: 'text' })
  xml!: string;

  @Column({ name: 'deployed_by', type: 'varchar', length: 255, nullable: true })
  deployedBy!: string | null;

  @Column({ name: 'deployed_at', type: 'timestamptz', default: () => 'now()' })
  deployedAt!: Date;
}

/** One deployed version of a decision, keyed by the decision id; evaluated from the file it points at. */
@Entity('decision_definition')
export class DecisionDefinitionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'decision_key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'requirements_id', type: 'uuid' })
  requirementsId!: string;

  /** The checksum of the file the decision was deployed with: the same file again is not a new version. */
  @Column({ type: 'char', length: 64 })
  checksum!: string;

  @Column({ name: 'deployed_by', type: 'varchar', length: 255, nullable: true })
  deployedBy!: string | null;

  @Column({ name: 'deployed_at', type: 'timestamptz', default: () => 'now()' })
  deployedAt!: Date;
}
