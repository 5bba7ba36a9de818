/** Typed configuration from the environment, validated once at boot. */
export interface AppConfig {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly port: number;
  /** BullMQ key prefix: lets several deployments (or test runs) share one Redis. */
  readonly queuePrefix: string;
  readonly runWorkers: boolean;
  readonly workerConcurrency: number;
  readonly jobAttempts: number;
  readonly jobBackoffMs: number;
  /** How long a worker may hold a job before another worker takes it over (crash recovery). */
  readonly jobLockMs: number;
  readonly outboxPollMs: number;
  /** ISO-8601 duration before an undecided emergency approval is escalated. */
  readonly escalationTimeout: string;
  readonly variablesMaxBytes: number;
  readonly processesDir: string;
  /** Fault-injection points for crash tests (comma separated); empty in production. */
  readonly faultInjection: readonly string[];
  /** Signs access tokens. Unset: a random one per process (tokens die with it; set it for several API processes). */
  readonly jwtSecret: string | undefined;
  readonly jwtTtlSeconds: number;
  /** The first administrator, created on first start when there is no user yet. */
  readonly adminUsername: string;
  /** Unset: a random password is generated and printed once. */
  readonly adminPassword: string | undefined;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];

  const str = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const url = (name: string, fallback: string, protocols: string[]): string => {
    const value = str(name, fallback);
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return value;
  };

  const escalationTimeout = str('ESCALATION_TIMEOUT', 'PT30M');
  if (!ISO_DURATION.test(escalationTimeout)) {
    problems.push(
      `ESCALATION_TIMEOUT must be an ISO-8601 duration such as PT30M, got "${escalationTimeout}"`,
    );
  }
  const queuePrefix = str('QUEUE_PREFIX', 'release-flow');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    problems.push(`QUEUE_PREFIX may hold letters, digits, "_" and "-" only, got "${queuePrefix}"`);
  }

  const config: AppConfig = {
    databaseUrl: url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/release_flow', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    port: int('PORT', 3000, 0, 65535),
    queuePrefix,
    runWorkers: bool('RUN_WORKERS', true),
    workerConcurrency: int('WORKER_CONCURRENCY', 5, 1, 100),
    jobAttempts: int('JOB_ATTEMPTS', 3, 1, 50),
    jobBackoffMs: int('JOB_BACKOFF_MS', 1000, 1, 3_600_000),
    jobLockMs: int('JOB_LOCK_MS', 30_000, 1000, 3_600_000),
    outboxPollMs: int('OUTBOX_POLL_MS', 1000, 10, 600_000),
    escalationTimeout,
    variablesMaxBytes: int('VARIABLES_MAX_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    processesDir: str('PROCESSES_DIR', 'processes'),
    faultInjection: str('FAULT_INJECTION', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    jwtSecret: env.JWT_SECRET || undefined,
    jwtTtlSeconds: int('JWT_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
    adminUsername: str('ADMIN_USERNAME', 'admin'),
    adminPassword: env.ADMIN_PASSWORD || undefined,
  };

  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }
  if (config.adminPassword !== undefined && config.adminPassword.length < 8) {
    problems.push('ADMIN_PASSWORD must be at least 8 characters');
  }
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(config.adminUsername)) {
    problems.push(
      `ADMIN_USERNAME must be 2-64 lower-case letters, digits, ".", "_" or "-", got "${config.adminUsername}"`,
    );
  }

  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** Nest injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
