import { Global, Module } from '@nestjs/common';
import { FormService } from './form.service.js';

@Global()
@Module({ providers: [FormService], exports: [FormService] })
export class FormsModule {}
