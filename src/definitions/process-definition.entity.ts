import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One deployed version of a process; its XML is stored here once and shared by all its instances. */
@Entity('process_definition')
export class ProcessDefinitionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'process_key', type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'char', length: 64 })
  checksum!: string;

  @Column({ type: 'text' })
  xml!: string;

  @Column({ name: 'job_types', type: 'text', array: true, default: () => "'{}'" })
  jobTypes!: string[];

  /** The message names its message start events wait for: a published message of one starts an instance. */
  @Column({ name: 'message_starts', type: 'text', array: true, default: () => "'{}'" })
  messageStarts!: string[];

  /** The signal names its signal start events wait for: a broadcast of one starts an instance. */
  @Column({ name: 'signal_starts', type: 'text', array: true, default: () => "'{}'" })
  signalStarts!: string[];

  @Column({ name: 'deployed_by', type: 'varchar', length: 255, nullable: true })
  deployedBy!: string | null;

  @Column({ name: 'deployed_at', type: 'timestamptz', default: () => 'now()' })
  deployedAt!: Date;
}
