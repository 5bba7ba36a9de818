import { Module } from '@nestjs/common';
import { DeliveryLedger } from './delivery-ledger.service.js';
import { DeliveryRepository } from './delivery.repository.js';
import { OutboundHttp } from '../platform/outbound-http.js';

/** What service-task handlers lean on: the delivery ledger and outgoing HTTP (run-once results are the worker's). */
@Module({
  providers: [DeliveryLedger, DeliveryRepository, OutboundHttp],
  exports: [DeliveryLedger, OutboundHttp],
})
export class ServiceTaskSupportModule {}
