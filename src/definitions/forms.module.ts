import { Global, Module } from '@nestjs/common';
import { FormRepository } from './form.repository.js';
import { FormService } from './form.service.js';

@Global()
@Module({ providers: [FormService, FormRepository], exports: [FormService] })
export class FormsModule {}
