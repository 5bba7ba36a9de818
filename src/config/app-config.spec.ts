import { ConfigError, loadConfig } from './app-config';

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

  it('keeps an explicit DATABASE_URL as given', () => {
    const url = 'postgres://release:secret@db.example:5433/release_flow';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('accepts a shortened escalation timeout for tests', () => {
    expect(loadConfig({ ESCALATION_TIMEOUT: 'PT0.5S' }).escalationTimeout).toBe('PT0.5S');
  });
});
