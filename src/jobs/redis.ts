import { Redis } from 'ioredis';

/** BullMQ needs maxRetriesPerRequest: null so blocking commands wait out a Redis restart instead of failing. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export const REDIS = Symbol('REDIS');
