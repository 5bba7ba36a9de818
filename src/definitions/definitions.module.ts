import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DecisionDefinitionEntity, DecisionRequirementsEntity } from './decision-definition.entity.js';
import { DecisionRepository } from './decision.repository.js';
import { DecisionTaskHandler } from './decision-task.handler.js';
import { DecisionService } from './decision.service.js';
import { DefinitionRepository } from './definition.repository.js';
import { DefinitionService } from './definition.service.js';
import { DeploymentService } from './deployment.service.js';
import { FormDefinitionEntity } from './form-definition.entity.js';
import { FormService } from './form.service.js';
import { ProcessDefinitionEntity } from './process-definition.entity.js';

/**
 * Deploys the shipped forms, decisions and flows on start when they changed (forms and decisions first, for the
 * flows that link and call them); a file that does not validate stops the start.
 */
@Injectable()
class ShippedProcessesDeployer implements OnModuleInit {
  constructor(
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
    @Inject(DecisionService) private readonly decisions: DecisionService,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.forms.deployDirectory(this.config.processesDir);
    await this.decisions.deployDirectory(this.config.processesDir);
    await this.definitions.deployDirectory(this.config.processesDir);
  }
}

/** Definitions without HTTP: the controller is DefinitionsApiModule's. */
@Module({
  providers: [
    DefinitionService,
    DefinitionRepository,
    DecisionService,
    DecisionRepository,
    DecisionTaskHandler,
    DeploymentService,
    ShippedProcessesDeployer,
  ],
  exports: [DefinitionService, DecisionService, DeploymentService],
})
export class DefinitionsModule {}

/** The definitions' table, registered with the data source by the composition root. */
export const DEFINITION_ENTITIES = [
  ProcessDefinitionEntity,
  DecisionRequirementsEntity,
  DecisionDefinitionEntity,
  FormDefinitionEntity,
];
