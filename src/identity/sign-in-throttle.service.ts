import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { closeRedis } from '../platform/redis.js';

/**
 * Where a password was offered: the JSON API's login, the queue board's HTTP Basic sign-in, or HTTP Basic on the
 * Camunda 8 REST API (/v2).
 */
export type SignInSurface = 'api' | 'queue-board' | 'camunda-api';

export type SignInOutcome<T> =
  | { readonly outcome: 'signed-in'; readonly user: T }
  | { readonly outcome: 'refused' }
  | { readonly outcome: 'throttled'; readonly retryAfterSeconds: number };

/** How many lockouts in a row are remembered (each doubles the next one). */
const LOCKOUT_MEMORY_SECONDS = 24 * 3600;
/** Beyond this the doubling has long reached any sane cap. */
const MAX_DOUBLINGS = 20;

/** An attempt refused during a lockout: where, and whether the username or the address was locked out. */
export interface ThrottledAttempt {
  readonly surface: SignInSurface;
  readonly scope: 'user' | 'address';
}

interface Scope {
  readonly name: 'user' | 'address';
  readonly key: string;
  readonly failures: RateLimiterAbstract;
  readonly maxAttempts: number;
}

/**
 * Failed sign-ins per username and per client address, counted in Redis so every API process shares them.
 * Reaching the limit within the window locks the username (or address) out; each further lockout within a day
 * doubles. A successful sign-in clears the username's count (never the address's: one known password must not
 * reset an address that guesses others).
 *
 * When Redis does not answer, the counts fall back to this process's memory (rate-limiter-flexible's insurance
 * limiter): sign-in keeps working, still throttled per process. Redis is the transport, not the source of
 * truth; the credentials live in PostgreSQL, so refusing every sign-in during a Redis outage would lock
 * operators out just when they need to act. The limiter's Redis connection queues nothing and times out fast,
 * so a dead or hung Redis never stalls a sign-in.
 */
@Injectable()
export class SignInThrottle implements OnApplicationShutdown {
  private readonly logger = new Logger(SignInThrottle.name);
  private readonly redis: Redis;
  private readonly userFailures: RateLimiterAbstract;
  private readonly addressFailures: RateLimiterAbstract;
  private readonly lockouts: RateLimiterAbstract;
  private redisDown = false;
  private readonly throttledListeners: Array<(attempt: ThrottledAttempt) => void> = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
    });
    this.redis.on('error', (err: Error) => {
      if (this.redisDown) return;
      this.redisDown = true;
      this.logger.warn(`Redis unavailable, sign-in throttling falls back to this process: ${err.message}`);
    });
    this.redis.on('ready', () => (this.redisDown = false));

    const settings = config.loginThrottle;
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        rejectIfRedisNotReady: true,
        keyPrefix: `${config.queuePrefix}:sign-in:${name}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `sign-in:${name}`, points, duration }),
      });
    this.userFailures = limiter('user-failures', settings.maxAttemptsPerUser, settings.windowSeconds);
    this.addressFailures = limiter(
      'address-failures',
      settings.maxAttemptsPerAddress,
      settings.windowSeconds,
    );
    this.lockouts = limiter('lockouts', Number.MAX_SAFE_INTEGER, LOCKOUT_MEMORY_SECONDS);
  }

  /** Called for every attempt refused during a lockout (the metrics count them). */
  onThrottled(listener: (attempt: ThrottledAttempt) => void): void {
    this.throttledListeners.push(listener);
  }

  /**
   * Check the password through `verify` unless the username or the address is locked out; count a failure,
   * and lock out when it reaches the limit.
   */
  async attempt<T>(
    surface: SignInSurface,
    username: string,
    address: string | undefined,
    verify: () => Promise<T | undefined>,
  ): Promise<SignInOutcome<T>> {
    const scopes = this.scopes(username, address);
    for (const scope of scopes) {
      const current = await scope.failures.get(scope.key);
      if (current && current.consumedPoints >= scope.maxAttempts) {
        for (const listener of this.throttledListeners) listener({ surface, scope: scope.name });
        return {
          outcome: 'throttled',
          retryAfterSeconds: Math.max(1, Math.ceil(current.msBeforeNext / 1000)),
        };
      }
    }
    const user = await verify();
    if (user !== undefined) {
      await Promise.all([
        this.userFailures.delete(scopes[0]!.key),
        this.lockouts.delete(`user:${scopes[0]!.key}`),
      ]);
      return { outcome: 'signed-in', user };
    }
    await Promise.all(scopes.map((scope) => this.countFailure(scope)));
    return { outcome: 'refused' };
  }

  private scopes(username: string, address: string | undefined): Scope[] {
    const settings = this.config.loginThrottle;
    const scopes: Scope[] = [
      {
        name: 'user',
        key: username.trim().toLowerCase().slice(0, 200),
        failures: this.userFailures,
        maxAttempts: settings.maxAttemptsPerUser,
      },
    ];
    if (address) {
      scopes.push({
        name: 'address',
        key: address,
        failures: this.addressFailures,
        maxAttempts: settings.maxAttemptsPerAddress,
      });
    }
    return scopes;
  }

  /** One more failure; the one that reaches the limit (exactly one, the count is atomic) starts a lockout. */
  private async countFailure(scope: Scope): Promise<void> {
    const counted = await scope.failures.penalty(scope.key);
    if (counted.consumedPoints !== scope.maxAttempts) return;
    const settings = this.config.loginThrottle;
    const previous = (await this.lockouts.penalty(`${scope.name}:${scope.key}`)).consumedPoints - 1;
    const seconds = Math.min(
      settings.lockoutSeconds * 2 ** Math.min(previous, MAX_DOUBLINGS),
      settings.maxLockoutSeconds,
    );
    await scope.failures.block(scope.key, seconds);
    this.logger.warn(`sign-in ${scope.name} "${scope.key}" locked out for ${seconds} s`);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis, 1000);
  }
}
