import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { FormJsSchema } from './form-js.js';

/** One deployed version of a Camunda Form (form-js schema), by its form id. */
@Entity('form_definition')
export class FormDefinitionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The id user tasks link with `zeebe:formDefinition formId`. */
  @Column({ name: 'form_id', type: 'varchar', length: 255 })
  formId!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'char', length: 64 })
  checksum!: string;

  @Column({ type: 'jsonb' })
  schema!: FormJsSchema;

  @Column({ name: 'deployed_by', type: 'varchar', length: 255, nullable: true })
  deployedBy!: string | null;

  @Column({ name: 'deployed_at', type: 'timestamptz', default: () => 'now()' })
  deployedAt!: Date;
}
