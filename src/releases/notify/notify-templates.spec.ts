import { composeMessage, NOTIFY_TEMPLATES, type MessageFacts } from './notify-templates';

const facts: MessageFacts = {
  number: 'REL-2026-0042',
  title: 'Billing 4.2',
  releaseClass: 'emergency',
  version: '4.2.0',
  distributionScope: 'finance',
  distributionMethods: ['email', 'intranet'],
  variables: { rollbackCause: 'disk full', escalationTimeout: 'PT30M' },
  headers: {},
};

describe('notification templates', () => {
  it.each(NOTIFY_TEMPLATES)('"%s" has a subject and text in Chinese and in English', (template) => {
    const zh = composeMessage(template, facts, 'zh');
    const en = composeMessage(template, facts, 'en');
    expect(zh.subject).toMatch(/[\u4e00-\u9fff]/);
    expect(en.subject).not.toMatch(/[\u4e00-\u9fff]/);
    expect(zh.subject).toContain('REL-2026-0042');
    expect(en.subject).toContain('REL-2026-0042');
    expect(zh.lines.length).toBeGreaterThan(0);
  });

  it('puts Chinese first, then English, when both are configured', () => {
    const both = composeMessage('rollback', facts, 'zh+en');
    expect(both.subject).toMatch(/^【发布回退】.* \/ Rolled back: /);
    expect(both.lines).toContain('—');
    expect(both.lines.indexOf('回退原因：disk full')).toBeLessThan(both.lines.indexOf('Cause: disk full'));
  });

  it('names the escalation time limit', () => {
    expect(composeMessage('escalation', facts, 'en').lines[0]).toContain('PT30M');
  });
});
