import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a provider as the handler of its `jobType`: the feature that owns the work provides it in its own module,
 * and the queue finds it at boot (no job type without a handler, none with two).
 */
export const JobHandlerFor = DiscoveryService.createDecorator<void>();
