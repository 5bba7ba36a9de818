import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('service-task configuration', () => {
  it('has every channel and peer off, and a local product library, by default', () => {
    const { serviceTasks } = loadConfig({});
    expect(serviceTasks).toEqual({
      smtp: undefined,
      webhooks: { generic: undefined, wecom: undefined, dingtalk: undefined, feishu: undefined },
      notifyLanguage: 'zh+en',
      externalCmdb: undefined,
      rollbackHook: undefined,
      outboundTimeoutMs: 10_000,
      pslDir: './data/psl',
      pslMaxUploadBytes: 1024 * 1024 * 1024,
      pslRequirePackage: false,
    });
  });

  it('reads SMTP, robots, the external CMDB and the rollback hook, secrets included, from the environment', () => {
    const { serviceTasks } = loadConfig({
      SMTP_HOST: 'mail.example',
      SMTP_SECURE: 'true',
      SMTP_USER: 'robot',
      SMTP_PASSWORD: 'pw',
      SMTP_FROM: 'Releases <releases@example.com>',
      NOTIFY_DINGTALK_URL: 'https://oapi.dingtalk.com/robot/send?access_token=x',
      NOTIFY_DINGTALK_SECRET: 'SECx',
      CMDB_EXTERNAL_URL: 'https://cmdb.example/api/changes',
      CMDB_EXTERNAL_TOKEN: 't',
      ROLLBACK_HOOK_URL: 'https://runbooks.example/rollback',
      NOTIFY_LANGUAGE: 'en',
    });
    expect(serviceTasks.smtp).toEqual({
      host: 'mail.example',
      port: 465,
      secure: true,
      user: 'robot',
      password: 'pw',
      from: 'Releases <releases@example.com>',
    });
    expect(serviceTasks.webhooks.dingtalk).toEqual({
      url: 'https://oapi.dingtalk.com/robot/send?access_token=x',
      secret: 'SECx',
    });
    expect(serviceTasks.externalCmdb).toEqual({ url: 'https://cmdb.example/api/changes', token: 't' });
    expect(serviceTasks.rollbackHook).toEqual({ url: 'https://runbooks.example/rollback', token: undefined });
    expect(serviceTasks.notifyLanguage).toBe('en');
  });

  it('names every bad value', () => {
    const attempt = () =>
      loadConfig({
        SMTP_HOST: 'mail.example',
        SMTP_PORT: 'twenty-five',
        SMTP_FROM: 'nobody',
        NOTIFY_WECOM_URL: 'ftp://x',
        ROLLBACK_HOOK_URL: 'not a url',
        NOTIFY_LANGUAGE: 'fr',
        PSL_MAX_UPLOAD_BYTES: '0',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SMTP_PORT must be an integer/);
    expect(attempt).toThrow(/SMTP_FROM must be an address/);
    expect(attempt).toThrow(/NOTIFY_WECOM_URL must use http: or https:/);
    expect(attempt).toThrow(/ROLLBACK_HOOK_URL is not a valid URL/);
    expect(attempt).toThrow(/NOTIFY_LANGUAGE must be one of zh, en, zh\+en/);
    expect(attempt).toThrow(/PSL_MAX_UPLOAD_BYTES must be an integer/);
  });
});
