import { createHmac } from 'node:crypto';
import { webhookRefusal, webhookRequest } from './chat-webhooks';

const message = { subject: '【发布通知】REL-1', lines: ['第一行', '—', 'line two'] };
const meta = { deliveryId: 'job-1', template: 'released', release: { number: 'REL-1' }, recipients: ['pm'] };
const now = new Date('2026-05-01T08:00:00Z');

describe('chat robot formats', () => {
  it('sends WeCom a markdown message', () => {
    const req = webhookRequest(
      'wecom',
      { url: 'https://qyapi.example/send?key=k', secret: undefined },
      message,
      meta,
      now,
    );
    expect(req.url).toBe('https://qyapi.example/send?key=k');
    expect(req.body).toEqual({
      msgtype: 'markdown',
      markdown: { content: '### 【发布通知】REL-1\n> 第一行\n---\n> line two' },
    });
  });

  it('signs DingTalk requests in the query string when a secret is set', () => {
    const req = webhookRequest(
      'dingtalk',
      { url: 'https://oapi.example/robot/send?access_token=t', secret: 'SECx' },
      message,
      meta,
      now,
    );
    const url = new URL(req.url);
    expect(url.searchParams.get('access_token')).toBe('t');
    expect(url.searchParams.get('timestamp')).toBe(String(now.getTime()));
    expect(url.searchParams.get('sign')).toBe(
      createHmac('sha256', 'SECx').update(`${now.getTime()}\nSECx`).digest('base64'),
    );
    expect(req.body).toMatchObject({ msgtype: 'markdown', markdown: { title: '【发布通知】REL-1' } });
  });

  it('signs Feishu requests in the body when a secret is set', () => {
    const req = webhookRequest(
      'feishu',
      { url: 'https://open.example/hook/x', secret: 's' },
      message,
      meta,
      now,
    );
    const timestamp = String(now.getTime() / 1000);
    expect(req.body).toEqual({
      msg_type: 'text',
      content: { text: '【发布通知】REL-1\n\n第一行\n—\nline two' },
      timestamp,
      sign: createHmac('sha256', `${timestamp}\ns`).update('').digest('base64'),
    });
  });

  it('signs the generic webhook body with HMAC-SHA256 and gives it an idempotency key', () => {
    const req = webhookRequest(
      'generic',
      { url: 'https://hooks.example/in', secret: 'k' },
      message,
      meta,
      now,
    );
    expect(req.headers['x-idempotency-key']).toBe('job-1');
    expect(req.headers['x-release-flow-signature']).toBe(
      `sha256=${createHmac('sha256', 'k').update(JSON.stringify(req.body)).digest('hex')}`,
    );
  });

  it('reads a robot refusal from a 200 answer', () => {
    expect(webhookRefusal('wecom', { errcode: 0, errmsg: 'ok' })).toBeNull();
    expect(webhookRefusal('dingtalk', { errcode: 310000, errmsg: 'sign not match' })).toBe(
      'errcode 310000: sign not match',
    );
    expect(webhookRefusal('feishu', { code: 19021, msg: 'sign match fail' })).toBe(
      'code 19021: sign match fail',
    );
    expect(webhookRefusal('feishu', { StatusCode: 0 })).toBeNull();
    expect(webhookRefusal('generic', 'anything')).toBeNull();
  });
});
