import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DefinitionRepository } from './definition.repository.js';
import { DefinitionService } from './definition.service.js';
import { ProcessDefinitionEntity } from './process-definition.entity.js';

/** Deploys the shipped flows on start when they changed; a flow that does not validate stops the start. */
@Injectable()
class ShippedProcessesDeployer implements OnModuleInit {
  constructor(
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.definitions.deployDirectory(this.config.processesDir);
  }
}

/** Definitions without HTTP: the controller is DefinitionsApiModule's. */
@Module({
  providers: [DefinitionService, DefinitionRepository, ShippedProcessesDeployer],
  exports: [DefinitionService],
})
export class DefinitionsModule {}

/** The definitions' table, registered with the data source by the composition root. */
export const DEFINITION_ENTITIES = [ProcessDefinitionEntity];
