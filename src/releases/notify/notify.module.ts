import { Module } from '@nestjs/common';
import { ServiceTaskSupportModule } from '../../queue/job-effects.module.js';
import { MailSender } from './mail-sender.js';
import { NotifyService } from './notify.service.js';
import { RecipientRepository } from './recipient.repository.js';

@Module({
  imports: [ServiceTaskSupportModule],
  providers: [NotifyService, MailSender, RecipientRepository],
  exports: [NotifyService],
})
export class NotifyModule {}
