import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ThrottledLog } from './throttled-log.js';

/** One line per kind of Redis error per half minute, however many clients keep retrying. */
const REDIS_ERROR_WINDOW_MS = 30_000;

const logger = new Logger('Redis');
const redisErrors = new ThrottledLog((message) => logger.warn(message), REDIS_ERROR_WINDOW_MS);
let failing = false;

interface ErrorSource {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Sends a Redis client's, queue's or worker's errors to the log, throttled. Without a listener ioredis and
 * BullMQ print each reconnect failure as a bare stack trace beside the JSON log (or an emitter throws); with
 * one, an outage is a few log lines and the clients keep reconnecting until Redis is back.
 */
export function logRedisErrors(source: ErrorSource, name: string): void {
  source.on('error', (err: Error) => {
    failing = true;
    redisErrors.log(err.message, `${name}: ${err.message}`);
  });
}

/** BullMQ needs maxRetriesPerRequest: null so blocking commands wait out a Redis restart instead of failing. */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  logRedisErrors(redis, 'redis');
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    logger.log('connection to Redis is back');
    redisErrors.forgetAll();
  });
  return redis;
}

export const REDIS = Symbol('REDIS');

/** Resolves when Redis answers a PING. */
export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}
