import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ThrottledLog } from './throttled-log.js';
import { within } from './within.js';

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

/**
 * Closes a client and resolves once its socket is closed: QUIT when connected (what was sent is answered first),
 * else, or when QUIT is not answered within `ms`, a plain disconnect (given at most a second more to close). QUIT
 * and disconnect alone return before the socket is closed, and a socket still closing holds a process meant to
 * exit (a test file's worker: jest kills it after half a second, "failed to exit gracefully").
 */
export async function closeRedis(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'end') return;
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  if (redis.status === 'ready') {
    redis.quit().catch(() => undefined);
    if (await within(ms, ended)) return;
  }
  redis.disconnect();
  await within(1000, ended);
}
