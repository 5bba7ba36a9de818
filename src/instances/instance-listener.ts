import type { EntityManager } from 'typeorm';
import type { ProcessInstanceEntity } from './process-instance.entity.js';

/** Told, inside the instance's transaction, whenever an instance was saved: lets records follow their process. */
export interface InstanceListener {
  onInstanceSaved(manager: EntityManager, instance: ProcessInstanceEntity): Promise<void>;
}
