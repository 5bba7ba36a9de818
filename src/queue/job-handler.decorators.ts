import { DiscoveryService } from '@nestjs/core';
import type { JobHandlerOptions } from './job-handler.port.js';

/**
 * Marks a provider as the handler of its `jobType`: the feature that owns the work provides it in its own module,
 * and the queue finds it at boot (no job type without a handler, none with two). `effects: 'database'` for a
 * handler that only writes to PostgreSQL through the manager it is given (see JobHandlerEffects).
 */
export const JobHandlerFor = DiscoveryService.createDecorator<JobHandlerOptions>();
