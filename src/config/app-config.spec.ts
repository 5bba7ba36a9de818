import { ConfigError, loadConfig } from './app-config';

const SHARED_SECRET = 'a-shared-secret-that-is-long-enough-for-hs256';

describe('loadConfig', () => {
  it('gives working local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined(); // the zero-setup start: embedded PostgreSQL
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.port).toBe(3000);
    expect(config.escalationTimeout).toBe('PT30M');
    expect(config.faultInjection).toEqual([]);
  });

  it('names every bad value in one clear message', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        ESCALATION_TIMEOUT: '30 minutes',
        RUN_WORKERS: 'maybe',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT must be an integer/);
    expect(attempt).toThrow(/DATABASE_URL must use postgres:/);
    expect(attempt).toThrow(/ESCALATION_TIMEOUT must be an ISO-8601 duration/);
    expect(attempt).toThrow(/RUN_WORKERS must be true or false/);
  });

  it('caps JSON nesting at 64 levels by default, and refuses a cap too small or too large to be sane', () => {
    expect(loadConfig({}).jsonMaxDepth).toBe(64);
    expect(loadConfig({ JSON_MAX_DEPTH: '128' }).jsonMaxDepth).toBe(128);
    expect(() => loadConfig({ JSON_MAX_DEPTH: '2' })).toThrow(
      /JSON_MAX_DEPTH must be an integer from 8 to 512/,
    );
    expect(() => loadConfig({ JSON_MAX_DEPTH: '10000' })).toThrow(/JSON_MAX_DEPTH/);
  });

  it('accepts BPMN files up to 2 MiB by default, and refuses a cap below 1 KiB or above 64 MiB', () => {
    expect(loadConfig({}).definitions.maxBpmnBytes).toBe(2 * 1024 * 1024);
    expect(loadConfig({ DEFINITION_MAX_BYTES: '65536' }).definitions.maxBpmnBytes).toBe(65536);
    expect(() => loadConfig({ DEFINITION_MAX_BYTES: '100' })).toThrow(
      /DEFINITION_MAX_BYTES must be an integer from 1024 to 67108864/,
    );
    expect(() => loadConfig({ DEFINITION_MAX_BYTES: String(128 * 1024 * 1024) })).toThrow(
      /DEFINITION_MAX_BYTES/,
    );
  });

  it('keeps an explicit DATABASE_URL as given', () => {
    const url = 'postgres://release:secret@db.example:5433/release_flow';
    expect(loadConfig({ DATABASE_URL: url, JWT_SECRET: SHARED_SECRET }).databaseUrl).toBe(url);
  });

  it('given DATABASE_URL (processes share the users) without JWT_SECRET, refuses and names JWT_SECRET', () => {
    const attempt = () => loadConfig({ DATABASE_URL: 'postgres://db.example/release_flow' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/JWT_SECRET is required with DATABASE_URL/);
  });

  it('given the zero-setup start (no DATABASE_URL), needs no JWT_SECRET: one process, a random key', () => {
    expect(loadConfig({}).jwtSecret).toBeUndefined();
  });

  it('throttles sign-ins by default, and refuses a lockout cap below the first lockout', () => {
    expect(loadConfig({}).loginThrottle).toEqual({
      maxAttemptsPerUser: 5,
      maxAttemptsPerAddress: 50,
      windowSeconds: 900,
      lockoutSeconds: 60,
      maxLockoutSeconds: 3600,
    });
    expect(() => loadConfig({ LOGIN_LOCKOUT_SECONDS: '600', LOGIN_LOCKOUT_MAX_SECONDS: '60' })).toThrow(
      /LOGIN_LOCKOUT_MAX_SECONDS must not be less than LOGIN_LOCKOUT_SECONDS/,
    );
    expect(() => loadConfig({ LOGIN_MAX_ATTEMPTS: '0' })).toThrow(/LOGIN_MAX_ATTEMPTS must be an integer/);
  });

  it('lets a request wait 5 s for a pooled database connection by default, and takes 100 ms to 10 minutes', () => {
    expect(loadConfig({}).databasePoolTimeoutMs).toBe(5000);
    expect(loadConfig({ DATABASE_POOL_TIMEOUT_MS: '30000' }).databasePoolTimeoutMs).toBe(30_000);
    expect(() => loadConfig({ DATABASE_POOL_TIMEOUT_MS: '50' })).toThrow(
      /DATABASE_POOL_TIMEOUT_MS must be an integer from 100 to 600000/,
    );
  });

  it('hashes passwords at bcrypt cost 10 by default, and takes 4 to 15', () => {
    expect(loadConfig({}).bcryptRounds).toBe(10);
    expect(loadConfig({ BCRYPT_ROUNDS: '4' }).bcryptRounds).toBe(4);
    expect(() => loadConfig({ BCRYPT_ROUNDS: '3' })).toThrow(/BCRYPT_ROUNDS must be an integer from 4 to 15/);
    expect(() => loadConfig({ BCRYPT_ROUNDS: '16' })).toThrow(
      /BCRYPT_ROUNDS must be an integer from 4 to 15/,
    );
  });

  it('accepts a shortened escalation timeout for tests', () => {
    expect(loadConfig({ ESCALATION_TIMEOUT: 'PT0.5S' }).escalationTimeout).toBe('PT0.5S');
  });

  it('escalates to admin by default, to the group configured, and refuses what is not a group id', () => {
    expect(loadConfig({}).escalationGroup).toBe('admin');
    expect(loadConfig({ ESCALATION_GROUP: 'release-board' }).escalationGroup).toBe('release-board');
    expect(() => loadConfig({ ESCALATION_GROUP: 'Release Board' })).toThrow(
      /ESCALATION_GROUP must be a group \(role\) id/,
    );
  });

  it('reads the trusted proxies as a hop count or a list of addresses, and refuses trusting every address', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    for (const wrong of ['true', '10.0.0.0/33', 'proxy.example.com', '99'])
      expect(() => loadConfig({ TRUST_PROXY: wrong })).toThrow(/TRUST_PROXY must name the proxies/);
  });
});
