import { Module } from '@nestjs/common';
import { DeliveryLedger } from './delivery-ledger.service.js';
import { JobEffects } from './job-effects.service.js';
import { OutboundHttp } from '../platform/outbound-http.js';

/** What every service-task handler leans on: run-once results, the delivery ledger, outgoing HTTP. */
@Module({
  providers: [JobEffects, DeliveryLedger, OutboundHttp],
  exports: [JobEffects, DeliveryLedger, OutboundHttp],
})
export class ServiceTaskSupportModule {}
