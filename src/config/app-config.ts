import { isIP } from 'node:net';
import { z } from 'zod';

/** Typed configuration from the environment, validated once at boot. */
export interface AppConfig {
  /** Unset: the zero-setup start, an embedded PostgreSQL (PGlite) under ./data/pg for this process only (src/embedded). */
  readonly databaseUrl: string | undefined;
  /** How long a request waits for one of the pool's connections before it fails with 503. */
  readonly databasePoolTimeoutMs: number;
  /**
   * The longest one SQL statement, or a transaction left idle, may take before PostgreSQL cancels it (503), so a
   * stuck lock or query cannot hold a request and a pooled connection forever. 0 turns it off.
   */
  readonly databaseStatementTimeoutMs: number;
  /** In the zero-setup start, a loopback URL where nothing answers gets a child redis-server (src/embedded). */
  readonly redisUrl: string;
  readonly port: number;
  /**
   * Which proxies in front of the service are trusted to say the client's address (X-Forwarded-For): false for
   * none, a hop count, or their addresses, subnets and the names loopback, linklocal, uniquelocal. Sign-in
   * throttling per address counts the address this yields.
   */
  readonly trustProxy: false | number | readonly string[];
  /** BullMQ key prefix: lets several deployments (or test runs) share one Redis. */
  readonly queuePrefix: string;
  readonly runWorkers: boolean;
  readonly workerConcurrency: number;
  /**
   * A job this process's own workers run goes to them straight after its commit, without a round trip through
   * Redis (LOCAL_JOB_DISPATCH); retries, timers and jobs for other processes still go through the queue.
   */
  readonly localJobDispatch: boolean;
  readonly jobAttempts: number;
  readonly jobBackoffMs: number;
  /** Live engines kept between an instance's commands (ENGINE_CACHE_SIZE, 0: none) and their estimated memory. */
  readonly engineCache: { readonly maxEntries: number; readonly maxBytes: number };
  /** How long a worker may hold a job before another worker takes it over (crash recovery). */
  readonly jobLockMs: number;
  readonly outboxPollMs: number;
  /** Long polls of POST /api/jobs/activate: the longest wait a request may ask for, and the re-check interval. */
  readonly jobActivation: { readonly maxWaitMs: number; readonly pollMs: number };
  /** ISO-8601 duration before an undecided emergency approval is escalated. */
  readonly escalationTimeout: string;
  /** The group (role id) an escalated task goes to and is notified: not the group that let it lapse. */
  readonly escalationGroup: string;
  /** The task list counts matching tasks exactly up to this many; past it the page says so (`totalCapped`). */
  readonly taskListTotalCap: number;
  readonly variablesMaxBytes: number;
  /** What one FEEL expression of a deployed definition may cost (checked at deploy; the time also at run time). */
  readonly feel: FeelLimitsConfig;
  /** Bounds of timer durations, cycles and dates (checked at deploy, and at run time for FEEL-made values). */
  readonly timers: TimerBoundsConfig;
  /** Deepest nesting of arrays and objects a JSON request body may have (checked before it is parsed). */
  readonly jsonMaxDepth: number;
  readonly definitions: DefinitionsConfig;
  readonly processesDir: string;
  /** Fault-injection points for crash tests (comma separated); empty in production. */
  readonly faultInjection: readonly string[];
  /**
   * Signs access tokens. Required with DATABASE_URL (several processes share the users, so they must share the
   * key); unset only in the zero-setup start, where a random one per process is used.
   */
  readonly jwtSecret: string | undefined;
  readonly jwtTtlSeconds: number;
  /**
   * Users the token check read lately, kept per process for `ttlMs` (0: read on every request): a change made in
   * another process (revoked sessions, deactivation, roles) takes effect here within `ttlMs`.
   */
  readonly sessionCache: { readonly maxEntries: number; readonly ttlMs: number };
  /** bcrypt cost of stored passwords (2^n rounds); each sign-in pays it once. */
  readonly bcryptRounds: number;
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

export interface DefinitionsConfig {
  /** DEFINITION_MAX_BYTES: the largest BPMN file a deploy or validate accepts, as a body or as an upload. */
  readonly maxBpmnBytes: number;
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
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/*
 * One schema per environment variable. Each reads the raw string (unset and empty mean "use the default"),
 * and on a bad value records an issue and carries on with the default, so that one start names every bad
 * value at once. An issue's message follows the variable's name: "PORT must be an integer from ...".
 */
const unset = (raw: string | undefined): raw is undefined | '' => raw === undefined || raw === '';

/** Text, with a default. */
const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (unset(raw) ? fallback : raw));

/** Text that must match a pattern; `rule` says what is allowed. */
const matching = (fallback: string, pattern: RegExp, rule: (value: string) => string) =>
  text(fallback).transform((value, ctx) => {
    if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: rule(value) });
    return value;
  });

/** Set or not: an empty value counts as unset. */
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((raw) => (unset(raw) ? undefined : raw));

/** Optional text with a minimum length when set. */
const optionalSecret = (minLength: number) =>
  optionalText().transform((value, ctx) => {
    if (value !== undefined && value.length < minLength) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${minLength} characters` });
    }
    return value;
  });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (unset(raw)) return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, got "${raw}"` });
        return fallback;
      }
      return value;
    });

const boolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (unset(raw)) return fallback;
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${raw}"` });
      return fallback;
    });

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address or subnet (a.b.c.d/nn, v6/nnn) of a trusted proxy, or one of Express's names for ranges. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: unset or false, a hop count, or a comma-separated list of proxy addresses. "true" (trust every
 * address) is refused: any client could then name its own address and escape the per-address throttle.
 */
const trustedProxies = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx): false | number | readonly string[] => {
      if (unset(raw) || /^(false|0|no)$/i.test(raw)) return false;
      if (/^\d+$/.test(raw)) {
        const hops = Number(raw);
        if (hops <= 10) return hops;
      }
      const entries = raw.split(',').map((entry) => entry.trim());
      const wrong = entries.filter((entry) => !isProxyAddress(entry));
      if (/^(true|yes)$/i.test(raw) || wrong.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must name the proxies: a hop count from 1 to 10, or addresses and subnets (or loopback, linklocal, ' +
            `uniquelocal), comma-separated; trusting every address would let a client choose its own, got "${raw}"`,
        });
        return false;
      }
      return entries;
    });

/** The problem with a URL, or undefined when it parses and uses one of the protocols. */
function urlProblem(value: string, protocols: readonly string[]): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    return 'is not a valid URL';
  }
  return protocols.includes(protocol) ? undefined : `must use ${protocols.join(' or ')}, got "${protocol}"`;
}

const url = (fallback: string, protocols: readonly string[]) =>
  text(fallback).transform((value, ctx) => {
    const problem = urlProblem(value, protocols);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return value;
  });

/** A URL checked only when set. */
const optionalUrl = (protocols: readonly string[] = ['http:', 'https:']) =>
  optionalText().transform((value, ctx) => {
    const problem = value === undefined ? undefined : urlProblem(value, protocols);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return value;
  });

const oneOf = <const T extends readonly string[]>(fallback: T[number], values: T) =>
  text(fallback).transform((value, ctx) => {
    if (!values.includes(value)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}, got "${value}"` });
      return fallback;
    }
    return value as T[number];
  });

/** Every variable the service reads, with its default and bounds. */
const ENVIRONMENT = z
  .object({
    DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
    DATABASE_POOL_TIMEOUT_MS: integer(5000, 100, 600_000),
    DATABASE_STATEMENT_TIMEOUT_MS: integer(30_000, 0, 3_600_000),
    REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    PORT: integer(3000, 0, 65535),
    TRUST_PROXY: trustedProxies(),
    QUEUE_PREFIX: matching(
      'release-flow',
      /^[A-Za-z0-9_-]{1,64}$/,
      (value) => `may hold letters, digits, "_" and "-" only, got "${value}"`,
    ),
    RUN_WORKERS: boolean(true),
    WORKER_CONCURRENCY: integer(5, 1, 100),
    LOCAL_JOB_DISPATCH: boolean(true),
    JOB_ATTEMPTS: integer(3, 1, 50),
    ENGINE_CACHE_SIZE: integer(2_000, 0, 1_000_000),
    ENGINE_CACHE_MAX_MB: integer(256, 1, 65_536),
    JOB_BACKOFF_MS: integer(1000, 1, 3_600_000),
    JOB_LOCK_MS: integer(30_000, 1000, 3_600_000),
    OUTBOX_POLL_MS: integer(1000, 10, 600_000),
    JOB_ACTIVATION_MAX_WAIT_MS: integer(60_000, 0, 600_000),
    JOB_ACTIVATION_POLL_MS: integer(5_000, 10, 600_000),
    ESCALATION_TIMEOUT: matching(
      'PT30M',
      ISO_DURATION,
      (value) => `must be an ISO-8601 duration such as PT30M, got "${value}"`,
    ),
    ESCALATION_GROUP: matching(
      'admin',
      /^[a-z][a-z0-9-]{0,99}$/,
      (value) => `must be a group (role) id such as admin, got "${value}"`,
    ),
    TASK_LIST_TOTAL_CAP: integer(1_000, 1, 10_000_000),
    VARIABLES_MAX_BYTES: integer(64 * 1024, 1024, 16 * 1024 * 1024),
    FEEL_MAX_LENGTH: integer(4_000, 16, 100_000),
    FEEL_MAX_DEPTH: integer(50, 1, 500),
    FEEL_MAX_TERMS: integer(1_000, 4, 20_000),
    FEEL_MAX_ITERATIONS: integer(100_000, 1, 100_000_000),
    FEEL_EVAL_TIMEOUT_MS: integer(1_000, 10, 60_000),
    TIMER_MIN_CYCLE_MS: integer(60_000, 1_000, 24 * 3600 * 1000),
    TIMER_MAX_DAYS: integer(3650, 1, 36_500),
    TIMER_MAX_REPETITIONS: integer(1000, 1, 1_000_000),
    TIMER_EARLIEST_YEAR: integer(2000, 1970, 2100),
    JSON_MAX_DEPTH: integer(64, 8, 512),
    DEFINITION_MAX_BYTES: integer(2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    PROCESSES_DIR: text('processes'),
    FAULT_INJECTION: text('').transform((value) =>
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    JWT_SECRET: optionalSecret(32),
    JWT_TTL_SECONDS: integer(8 * 3600, 60, 30 * 24 * 3600),
    SESSION_CACHE_TTL_MS: integer(5_000, 0, 300_000),
    SESSION_CACHE_SIZE: integer(10_000, 0, 1_000_000),
    BCRYPT_ROUNDS: integer(10, 4, 15),
    LOGIN_MAX_ATTEMPTS: integer(5, 1, 1000),
    LOGIN_ADDRESS_MAX_ATTEMPTS: integer(50, 1, 100_000),
    LOGIN_WINDOW_SECONDS: integer(15 * 60, 1, 7 * 24 * 3600),
    LOGIN_LOCKOUT_SECONDS: integer(60, 1, 24 * 3600),
    LOGIN_LOCKOUT_MAX_SECONDS: integer(3600, 1, 7 * 24 * 3600),
    ADMIN_USERNAME: matching(
      'admin',
      /^[a-z0-9][a-z0-9._-]{1,63}$/,
      (value) => `must be 2-64 lower-case letters, digits, ".", "_" or "-", got "${value}"`,
    ),
    ADMIN_PASSWORD: optionalSecret(8),
    METRICS_TOKEN: optionalSecret(16),
    SHUTDOWN_TIMEOUT_MS: integer(25_000, 0, 600_000),
    LOG_LEVEL: oneOf('info', LOG_LEVELS),
    // Service-task workers
    SMTP_HOST: optionalText(),
    SMTP_PORT: optionalText(), // checked with SMTP_HOST below: its default follows SMTP_SECURE
    SMTP_SECURE: boolean(false),
    SMTP_USER: optionalText(),
    SMTP_PASSWORD: optionalText(),
    SMTP_FROM: matching(
      'Release flow <release-flow@localhost>',
      /^[^<>@\s]+@[^<>@\s]+$|<[^<>@\s]+@[^<>@\s]+>$/,
      (value) => `must be an address such as "Release flow <release@example.com>", got "${value}"`,
    ),
    NOTIFY_WEBHOOK_URL: optionalUrl(),
    NOTIFY_WEBHOOK_SECRET: optionalText(),
    NOTIFY_WECOM_URL: optionalUrl(),
    NOTIFY_DINGTALK_URL: optionalUrl(),
    NOTIFY_DINGTALK_SECRET: optionalText(),
    NOTIFY_FEISHU_URL: optionalUrl(),
    NOTIFY_FEISHU_SECRET: optionalText(),
    NOTIFY_LANGUAGE: oneOf('zh+en', NOTIFY_LANGUAGES),
    CMDB_EXTERNAL_URL: optionalUrl(),
    CMDB_EXTERNAL_TOKEN: optionalText(),
    ROLLBACK_HOOK_URL: optionalUrl(),
    ROLLBACK_HOOK_TOKEN: optionalText(),
    OUTBOUND_TIMEOUT_MS: integer(10_000, 100, 600_000),
    PSL_DIR: text('./data/psl'),
    PSL_MAX_UPLOAD_BYTES: integer(1024 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    PSL_REQUIRE_PACKAGE: boolean(false),
  })
  // Rules between variables; they run beside the per-variable ones, so one start reports everything.
  .superRefine(
    (env, ctx) => {
      if (env.DATABASE_URL !== undefined && env.JWT_SECRET === undefined) {
        // Each process would sign with its own random key: behind a load balancer, users get random 401s.
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message:
            'is required with DATABASE_URL: every process sharing the database must sign tokens with the ' +
            'same key (at least 32 characters, e.g. `openssl rand -base64 48`)',
        });
      }
      if (env.LOGIN_LOCKOUT_MAX_SECONDS < env.LOGIN_LOCKOUT_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['LOGIN_LOCKOUT_MAX_SECONDS'],
          message: 'must not be less than LOGIN_LOCKOUT_SECONDS',
        });
      }
      // SMTP_PORT is read only with SMTP_HOST; its default follows SMTP_SECURE.
      if (env.SMTP_HOST !== undefined) {
        const port = integer(0, 1, 65535).safeParse(env.SMTP_PORT);
        if (!port.success) {
          for (const issue of port.error.issues) {
            ctx.addIssue({ code: 'custom', path: ['SMTP_PORT'], message: issue.message });
          }
        }
      }
    },
    { when: () => true },
  );

type Environment = z.output<typeof ENVIRONMENT>;

function toAppConfig(env: Environment): AppConfig {
  const webhook = (url: string | undefined, secret?: string): WebhookConfig | undefined =>
    url ? { url, secret } : undefined;
  const peer = (url: string | undefined, token: string | undefined): HttpPeerConfig | undefined =>
    url ? { url, token } : undefined;
  return {
    databaseUrl: env.DATABASE_URL,
    databasePoolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
    databaseStatementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    redisUrl: env.REDIS_URL,
    port: env.PORT,
    trustProxy: env.TRUST_PROXY,
    queuePrefix: env.QUEUE_PREFIX,
    runWorkers: env.RUN_WORKERS,
    workerConcurrency: env.WORKER_CONCURRENCY,
    localJobDispatch: env.LOCAL_JOB_DISPATCH,
    jobAttempts: env.JOB_ATTEMPTS,
    engineCache: { maxEntries: env.ENGINE_CACHE_SIZE, maxBytes: env.ENGINE_CACHE_MAX_MB * 1024 * 1024 },
    jobBackoffMs: env.JOB_BACKOFF_MS,
    jobLockMs: env.JOB_LOCK_MS,
    outboxPollMs: env.OUTBOX_POLL_MS,
    jobActivation: { maxWaitMs: env.JOB_ACTIVATION_MAX_WAIT_MS, pollMs: env.JOB_ACTIVATION_POLL_MS },
    escalationTimeout: env.ESCALATION_TIMEOUT,
    escalationGroup: env.ESCALATION_GROUP,
    taskListTotalCap: env.TASK_LIST_TOTAL_CAP,
    variablesMaxBytes: env.VARIABLES_MAX_BYTES,
    feel: {
      maxLength: env.FEEL_MAX_LENGTH,
      maxDepth: env.FEEL_MAX_DEPTH,
      maxTerms: env.FEEL_MAX_TERMS,
      maxIterations: env.FEEL_MAX_ITERATIONS,
      evaluationTimeoutMs: env.FEEL_EVAL_TIMEOUT_MS,
    },
    timers: {
      minCycleMs: env.TIMER_MIN_CYCLE_MS,
      maxDays: env.TIMER_MAX_DAYS,
      maxRepetitions: env.TIMER_MAX_REPETITIONS,
      earliestYear: env.TIMER_EARLIEST_YEAR,
    },
    jsonMaxDepth: env.JSON_MAX_DEPTH,
    definitions: { maxBpmnBytes: env.DEFINITION_MAX_BYTES },
    processesDir: env.PROCESSES_DIR,
    faultInjection: env.FAULT_INJECTION,
    jwtSecret: env.JWT_SECRET,
    jwtTtlSeconds: env.JWT_TTL_SECONDS,
    sessionCache: { maxEntries: env.SESSION_CACHE_SIZE, ttlMs: env.SESSION_CACHE_TTL_MS },
    bcryptRounds: env.BCRYPT_ROUNDS,
    loginThrottle: {
      maxAttemptsPerUser: env.LOGIN_MAX_ATTEMPTS,
      maxAttemptsPerAddress: env.LOGIN_ADDRESS_MAX_ATTEMPTS,
      windowSeconds: env.LOGIN_WINDOW_SECONDS,
      lockoutSeconds: env.LOGIN_LOCKOUT_SECONDS,
      maxLockoutSeconds: env.LOGIN_LOCKOUT_MAX_SECONDS,
    },
    adminUsername: env.ADMIN_USERNAME,
    adminPassword: env.ADMIN_PASSWORD,
    metricsToken: env.METRICS_TOKEN,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
    serviceTasks: {
      smtp: env.SMTP_HOST
        ? {
            host: env.SMTP_HOST,
            port: env.SMTP_PORT === undefined ? (env.SMTP_SECURE ? 465 : 587) : Number(env.SMTP_PORT),
            secure: env.SMTP_SECURE,
            user: env.SMTP_USER,
            password: env.SMTP_PASSWORD,
            from: env.SMTP_FROM,
          }
        : undefined,
      webhooks: {
        generic: webhook(env.NOTIFY_WEBHOOK_URL, env.NOTIFY_WEBHOOK_SECRET),
        wecom: webhook(env.NOTIFY_WECOM_URL),
        dingtalk: webhook(env.NOTIFY_DINGTALK_URL, env.NOTIFY_DINGTALK_SECRET),
        feishu: webhook(env.NOTIFY_FEISHU_URL, env.NOTIFY_FEISHU_SECRET),
      },
      notifyLanguage: env.NOTIFY_LANGUAGE,
      externalCmdb: peer(env.CMDB_EXTERNAL_URL, env.CMDB_EXTERNAL_TOKEN),
      rollbackHook: peer(env.ROLLBACK_HOOK_URL, env.ROLLBACK_HOOK_TOKEN),
      outboundTimeoutMs: env.OUTBOUND_TIMEOUT_MS,
      pslDir: env.PSL_DIR,
      pslMaxUploadBytes: env.PSL_MAX_UPLOAD_BYTES,
      pslRequirePackage: env.PSL_REQUIRE_PACKAGE,
    },
  };
}

/** The configuration from the environment; throws a ConfigError naming every bad value at once. */
export function loadConfig(env: Env = process.env): AppConfig {
  const parsed = ENVIRONMENT.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return toAppConfig(parsed.data);
}

/** Nest injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
