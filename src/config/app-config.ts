/** Typed configuration from the environment, validated once at boot. */
export interface AppConfig {
  /** Unset: the zero-setup start, an embedded PostgreSQL (PGlite) under ./data/pg for this process only (src/embedded). */
  readonly databaseUrl: string | undefined;
  /** In the zero-setup start, a loopback URL where nothing answers gets a child redis-server (src/embedded). */
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
  /** What one FEEL expression of a deployed definition may cost (checked at deploy; the time also at run time). */
  readonly feel: FeelLimitsConfig;
  /** Bounds of timer durations, cycles and dates (checked at deploy, and at run time for FEEL-made values). */
  readonly timers: TimerBoundsConfig;
  /** Deepest nesting of arrays and objects a JSON request body may have (checked before it is parsed). */
  readonly jsonMaxDepth: number;
  readonly processesDir: string;
  /** Fault-injection points for crash tests (comma separated); empty in production. */
  readonly faultInjection: readonly string[];
  /**
   * Signs access tokens. Required with DATABASE_URL (several processes share the users, so they must share the
   * key); unset only in the zero-setup start, where a random one per process is used.
   */
  readonly jwtSecret: string | undefined;
  readonly jwtTtlSeconds: number;
  /** Failed sign-ins before a lockout, shared by every API process through Redis. */
  readonly loginThrottle: LoginThrottleConfig;
  /** The first administrator, created on first start when there is no user yet. */
  readonly adminUsername: string;
  /** Unset: a random password is generated and printed once. */
  readonly adminPassword: string | undefined;
  /** Lets Prometheus scrape /metrics with this bearer token; without it, only an admin's token is accepted. */
  readonly metricsToken: string | undefined;
  /** How long a stopping process waits for in-flight jobs before it gives them back to the queue. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Service-task workers: mail, chat robots, external CMDB, rollback hook, product library (PSL). */
  readonly serviceTasks: ServiceTaskConfig;
}

/** Outgoing SMTP for the notify worker; undefined when SMTP_HOST is not set (no mail). */
export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly from: string;
}

/** A chat robot or generic webhook: its URL and, where the format has one, its signing secret. */
export interface WebhookConfig {
  readonly url: string;
  readonly secret: string | undefined;
}

/** An HTTP peer called with a bearer token (external CMDB, rollback hook). */
export interface HttpPeerConfig {
  readonly url: string;
  readonly token: string | undefined;
}

/** Failed sign-ins (API login and the queue board's Basic auth) before a lockout that doubles each time. */
export interface LoginThrottleConfig {
  /** Failures per username within the window that lock that username out. */
  readonly maxAttemptsPerUser: number;
  /** Failures per client address within the window that lock that address out (any usernames). */
  readonly maxAttemptsPerAddress: number;
  readonly windowSeconds: number;
  /** The first lockout; each further one within a day doubles it, up to maxLockoutSeconds. */
  readonly lockoutSeconds: number;
  readonly maxLockoutSeconds: number;
}

export interface FeelLimitsConfig {
  /** FEEL_MAX_LENGTH: characters of one expression, checked before it is parsed. */
  readonly maxLength: number;
  /** FEEL_MAX_DEPTH: bracket nesting of one expression. */
  readonly maxDepth: number;
  /** FEEL_MAX_TERMS: terms (names, literals, operators) of one expression; a definition may have 20 times that. */
  readonly maxTerms: number;
  /** FEEL_MAX_ITERATIONS: iterations literal ranges and lists may ask for, nested ones multiplied. */
  readonly maxIterations: number;
  /** FEEL_EVAL_TIMEOUT_MS: time one evaluation may take before it fails (an incident, never the process). */
  readonly evaluationTimeoutMs: number;
}

export interface TimerBoundsConfig {
  /** TIMER_MIN_CYCLE_MS: shortest interval of a timer cycle. */
  readonly minCycleMs: number;
  /** TIMER_MAX_DAYS: longest duration or cycle interval, and how far ahead a date may lie. */
  readonly maxDays: number;
  /** TIMER_MAX_REPETITIONS: most repetitions a cycle may name (R<n>/...). */
  readonly maxRepetitions: number;
  /** TIMER_EARLIEST_YEAR: no timer date before January 1 of this year. */
  readonly earliestYear: number;
}

export const NOTIFY_LANGUAGES = ['zh', 'en', 'zh+en'] as const;
export type NotifyLanguage = (typeof NOTIFY_LANGUAGES)[number];

export interface ServiceTaskConfig {
  readonly smtp: SmtpConfig | undefined;
  /** Chat robots and the generic JSON webhook; each one unset is off. */
  readonly webhooks: {
    readonly generic: WebhookConfig | undefined;
    readonly wecom: WebhookConfig | undefined;
    readonly dingtalk: WebhookConfig | undefined;
    readonly feishu: WebhookConfig | undefined;
  };
  /** Language of notifications: Chinese, English, or both (Chinese first). */
  readonly notifyLanguage: NotifyLanguage;
  /** Pushes every CMDB change to an external CMDB when set. */
  readonly externalCmdb: HttpPeerConfig | undefined;
  /** The runbook hook a rollback calls when set. */
  readonly rollbackHook: HttpPeerConfig | undefined;
  /** Time limit of each outgoing HTTP call and SMTP step. */
  readonly outboundTimeoutMs: number;
  /** Where the product software library keeps its files (content-addressed by SHA-256). */
  readonly pslDir: string;
  readonly pslMaxUploadBytes: number;
  /** When true, psl.archive fails (incident) for a hardware, software or other release with no package uploaded. */
  readonly pslRequirePackage: boolean;
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

  const optionalUrl = (name: string, protocols = ['http:', 'https:']): string | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    url(name, value, protocols);
    return value;
  };
  const secret = (name: string): string | undefined => env[name] || undefined;

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

  function serviceTaskConfig(): ServiceTaskConfig {
    const smtpHost = str('SMTP_HOST', '');
    const smtpSecure = bool('SMTP_SECURE', false);
    const smtpFrom = str('SMTP_FROM', 'Release flow <release-flow@localhost>');
    if (!/^[^<>@\s]+@[^<>@\s]+$|<[^<>@\s]+@[^<>@\s]+>$/.test(smtpFrom)) {
      problems.push(
        `SMTP_FROM must be an address such as "Release flow <release@example.com>", got "${smtpFrom}"`,
      );
    }
    const webhook = (urlName: string, secretName?: string): WebhookConfig | undefined => {
      const value = optionalUrl(urlName);
      return value ? { url: value, secret: secretName ? secret(secretName) : undefined } : undefined;
    };
    const peer = (urlName: string, tokenName: string): HttpPeerConfig | undefined => {
      const value = optionalUrl(urlName);
      return value ? { url: value, token: secret(tokenName) } : undefined;
    };
    const notifyLanguage = str('NOTIFY_LANGUAGE', 'zh+en') as NotifyLanguage;
    if (!NOTIFY_LANGUAGES.includes(notifyLanguage)) {
      problems.push(`NOTIFY_LANGUAGE must be one of ${NOTIFY_LANGUAGES.join(', ')}, got "${notifyLanguage}"`);
    }
    return {
      smtp: smtpHost
        ? {
            host: smtpHost,
            port: int('SMTP_PORT', smtpSecure ? 465 : 587, 1, 65535),
            secure: smtpSecure,
            user: env.SMTP_USER || undefined,
            password: secret('SMTP_PASSWORD'),
            from: smtpFrom,
          }
        : undefined,
      webhooks: {
        generic: webhook('NOTIFY_WEBHOOK_URL', 'NOTIFY_WEBHOOK_SECRET'),
        wecom: webhook('NOTIFY_WECOM_URL'),
        dingtalk: webhook('NOTIFY_DINGTALK_URL', 'NOTIFY_DINGTALK_SECRET'),
        feishu: webhook('NOTIFY_FEISHU_URL', 'NOTIFY_FEISHU_SECRET'),
      },
      notifyLanguage,
      externalCmdb: peer('CMDB_EXTERNAL_URL', 'CMDB_EXTERNAL_TOKEN'),
      rollbackHook: peer('ROLLBACK_HOOK_URL', 'ROLLBACK_HOOK_TOKEN'),
      outboundTimeoutMs: int('OUTBOUND_TIMEOUT_MS', 10_000, 100, 600_000),
      pslDir: str('PSL_DIR', './data/psl'),
      pslMaxUploadBytes: int('PSL_MAX_UPLOAD_BYTES', 1024 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
      pslRequirePackage: bool('PSL_REQUIRE_PACKAGE', false),
    };
  }

  const config: AppConfig = {
    databaseUrl: env.DATABASE_URL ? url('DATABASE_URL', '', ['postgres:', 'postgresql:']) : undefined,
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
    feel: {
      maxLength: int('FEEL_MAX_LENGTH', 4_000, 16, 100_000),
      maxDepth: int('FEEL_MAX_DEPTH', 50, 1, 500),
      maxTerms: int('FEEL_MAX_TERMS', 1_000, 4, 20_000),
      maxIterations: int('FEEL_MAX_ITERATIONS', 100_000, 1, 100_000_000),
      evaluationTimeoutMs: int('FEEL_EVAL_TIMEOUT_MS', 1_000, 10, 60_000),
    },
    timers: {
      minCycleMs: int('TIMER_MIN_CYCLE_MS', 60_000, 1_000, 24 * 3600 * 1000),
      maxDays: int('TIMER_MAX_DAYS', 3650, 1, 36_500),
      maxRepetitions: int('TIMER_MAX_REPETITIONS', 1000, 1, 1_000_000),
      earliestYear: int('TIMER_EARLIEST_YEAR', 2000, 1970, 2100),
    },
    jsonMaxDepth: int('JSON_MAX_DEPTH', 64, 8, 512),
    processesDir: str('PROCESSES_DIR', 'processes'),
    faultInjection: str('FAULT_INJECTION', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    jwtSecret: env.JWT_SECRET || undefined,
    jwtTtlSeconds: int('JWT_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
    loginThrottle: {
      maxAttemptsPerUser: int('LOGIN_MAX_ATTEMPTS', 5, 1, 1000),
      maxAttemptsPerAddress: int('LOGIN_ADDRESS_MAX_ATTEMPTS', 50, 1, 100_000),
      windowSeconds: int('LOGIN_WINDOW_SECONDS', 15 * 60, 1, 7 * 24 * 3600),
      lockoutSeconds: int('LOGIN_LOCKOUT_SECONDS', 60, 1, 24 * 3600),
      maxLockoutSeconds: int('LOGIN_LOCKOUT_MAX_SECONDS', 3600, 1, 7 * 24 * 3600),
    },
    adminUsername: str('ADMIN_USERNAME', 'admin'),
    adminPassword: env.ADMIN_PASSWORD || undefined,
    metricsToken: env.METRICS_TOKEN || undefined,
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 25_000, 0, 600_000),
    logLevel: str('LOG_LEVEL', 'info') as AppConfig['logLevel'],
    serviceTasks: serviceTaskConfig(),
  };

  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32) {
    problems.push('JWT_SECRET must be at least 32 characters');
  }
  if (config.databaseUrl !== undefined && config.jwtSecret === undefined) {
    // Each process would sign with its own random key: behind a load balancer, users get random 401s.
    problems.push(
      'JWT_SECRET is required with DATABASE_URL: every process sharing the database must sign tokens with the ' +
        'same key (at least 32 characters, e.g. `openssl rand -base64 48`)',
    );
  }
  if (config.loginThrottle.maxLockoutSeconds < config.loginThrottle.lockoutSeconds) {
    problems.push('LOGIN_LOCKOUT_MAX_SECONDS must not be less than LOGIN_LOCKOUT_SECONDS');
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${config.logLevel}"`,
    );
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    problems.push('METRICS_TOKEN must be at least 16 characters');
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
