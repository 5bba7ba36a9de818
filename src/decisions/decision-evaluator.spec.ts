import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecisionEvaluationError, evaluateDecision, readDmn, type DmnDocument } from './index';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/** Evaluate one decision of a fixture file and give its output. */
async function decide(
  file: string,
  decisionId: string,
  variables: Record<string, unknown>,
): Promise<unknown> {
  return evaluateDecision(await readDmn(fixture(file)), decisionId, variables).output;
}

/** The failure of a decision that must fail. */
async function failureOf(
  file: string,
  decisionId: string,
  variables: Record<string, unknown>,
): Promise<DecisionEvaluationError> {
  const document = await readDmn(fixture(file));
  try {
    evaluateDecision(document, decisionId, variables);
  } catch (err) {
    if (err instanceof DecisionEvaluationError) return err;
    throw err;
  }
  throw new Error(`decision ${decisionId} did not fail`);
}

describe('release classification (发布分类): a UNIQUE table with Chinese labels and two outputs', () => {
  let document: DmnDocument;
  beforeAll(async () => {
    document = await readDmn(fixture('release-class.dmn'));
  });
  const classify = (variables: Record<string, unknown>) =>
    evaluateDecision(document, 'release-class', variables);

  it('classifies an urgent fix as an emergency release, whatever its risk and impact', () => {
    expect(classify({ urgent: true, risk: '高', impact: '全公司' }).output).toEqual({
      releaseClass: 'emergency',
      className: '紧急发布',
    });
  });

  it('classifies a high-risk change, or one that reaches the whole company, as a major release', () => {
    expect(classify({ urgent: false, risk: '高', impact: '单个系统' }).output).toEqual({
      releaseClass: 'major',
      className: '重大发布',
    });
    expect(classify({ urgent: false, risk: '中', impact: '全公司' }).output).toEqual({
      releaseClass: 'major',
      className: '重大发布',
    });
  });

  it('classifies a low or medium risk change of one or a few systems as a standard release', () => {
    const result = classify({ urgent: false, risk: '低', impact: '多个系统' });
    expect(result.output).toEqual({ releaseClass: 'standard', className: '标准发布' });
    expect(result.evaluated).toEqual([
      {
        decisionId: 'release-class',
        decisionName: '发布分类',
        output: result.output,
        matchedRules: ['release-class-r4'],
        inputs: { 是否紧急: false, 风险等级: '低', 影响范围: '多个系统' },
      },
    ]);
  });

  it('gives null when no rule matches (an unknown risk level), as Camunda 8 does for UNIQUE', () => {
    expect(classify({ urgent: false, risk: '未知', impact: '单个系统' }).output).toBeNull();
    expect(classify({}).output).toBeNull();
  });
});

describe('hit policies', () => {
  const file = 'hit-policies.dmn';

  it('UNIQUE: the one matching rule, by ranges of a number', async () => {
    expect(await decide(file, 'approval-level', { changeSize: 10 })).toBe('team-lead');
    expect(await decide(file, 'approval-level', { changeSize: 11 })).toBe('manager');
    expect(await decide(file, 'approval-level', { changeSize: 101 })).toBe('board');
    expect(await decide(file, 'approval-level', { changeSize: -1 })).toBeNull();
  });

  it('FIRST: the first matching rule in table order', async () => {
    expect(await decide(file, 'notify-channel', { risk: '高' })).toBe('phone');
    expect(await decide(file, 'notify-channel', { risk: '低' })).toBe('email');
  });

  it('PRIORITY: the matching output listed first in the output values', async () => {
    expect(await decide(file, 'review-level', { risk: '高', databaseChange: true })).toBe('board');
    expect(await decide(file, 'review-level', { risk: '低', databaseChange: true })).toBe('architect');
    expect(await decide(file, 'review-level', { risk: '低', databaseChange: false })).toBe('peer');
  });

  it('ANY: matching rules that agree give their common output', async () => {
    expect(await decide(file, 'change-freeze', { weekday: '周五', holiday: true })).toBe(true);
    expect(await decide(file, 'change-freeze', { weekday: '周一', holiday: false })).toBe(false);
  });

  it('COLLECT: the outputs of every matching rule, in rule order', async () => {
    expect(await decide(file, 'release-checklist', { source: 'software' })).toEqual([
      '回归测试',
      '配置项更新',
      '发布说明',
    ]);
    expect(await decide(file, 'release-checklist', { source: 'document' })).toEqual(['发布说明']);
  });

  it('COLLECT SUM, MIN, MAX and COUNT aggregate the matching outputs', async () => {
    const all = { databaseChange: true, downtime: true, users: 5000 };
    expect(await decide(file, 'risk-score', all)).toBe(10);
    expect(await decide(file, 'risk-score', { ...all, users: 10 })).toBe(8);
    expect(await decide(file, 'risk-factors', { ...all, downtime: false })).toBe(2);
    expect(await decide(file, 'earliest-window', { downtime: true, risk: '高' })).toBe(1);
    expect(await decide(file, 'latest-window', { downtime: true, risk: '高' })).toBe(14);
    expect(await decide(file, 'latest-window', { downtime: false, risk: '低' })).toBe(1);
  });

  it('COLLECT with an aggregation and no matching rule gives null, as Camunda 8 does', async () => {
    expect(await decide(file, 'risk-score', { databaseChange: false, downtime: false, users: 1 })).toBeNull();
  });

  it('RULE ORDER: every matching rule in table order; several outputs make a list of objects', async () => {
    expect(await decide(file, 'approvers', { releaseClass: 'major' })).toEqual([
      { role: 'release-manager', reason: '重大发布需发布经理审批' },
      { role: 'project-manager', reason: '每次发布' },
      { role: 'cab', reason: '变更委员会' },
    ]);
    expect(await decide(file, 'approvers', { releaseClass: 'standard' })).toEqual([
      { role: 'project-manager', reason: '每次发布' },
    ]);
  });

  it('OUTPUT ORDER: every matching output, ordered by the output values', async () => {
    expect(await decide(file, 'reviewers-by-rank', { risk: '高', databaseChange: true })).toEqual([
      'board',
      'architect',
      'peer',
    ]);
    expect(await decide(file, 'reviewers-by-rank', { risk: '低', databaseChange: true })).toEqual([
      'architect',
      'peer',
    ]);
  });
});

describe('literal expressions and required decisions', () => {
  const file = 'release-plan.dmn';

  it('evaluates the required decisions first and finds their results under their decision ids', async () => {
    const document = await readDmn(fixture(file));
    const result = evaluateDecision(document, 'release-plan', {
      urgent: false,
      risk: '低',
      impact: '单个系统',
      databaseChange: true,
      downtime: true,
    });
    expect(result.output).toEqual({ 类别: '标准发布', 窗口: '周末', 需要CAB: false });
    expect(result.evaluated.map((d) => [d.decisionId, d.output])).toEqual([
      ['release-class', { releaseClass: 'standard', className: '标准发布' }],
      ['risk-score', 8],
      ['release-plan', result.output],
    ]);
  });

  it('a required decision can be evaluated on its own', async () => {
    expect(await decide(file, 'risk-score', { databaseChange: true, downtime: false })).toBe(3);
  });

  it('evaluates a literal expression against the variables', async () => {
    expect(await decide(file, 'freeze-notice', { days: 3 })).toBe('封网期间请勿发布：3 天');
  });

  it('gives FEEL dates as ISO text, as a process variable can hold them', async () => {
    const xml = fixture(file).replace(
      '"封网期间请勿发布：" + string(days) + " 天"',
      'date(start) + duration("P" + string(days) + "D")',
    );
    const document = await readDmn(xml);
    expect(evaluateDecision(document, 'freeze-notice', { start: '2026-12-30', days: 3 }).output).toBe(
      '2027-01-02',
    );
  });
});

describe('a decision that fails names the decision and the inputs', () => {
  it('UNIQUE with two matching rules', async () => {
    const error = await failureOf('failing.dmn', 'overlapping-windows', { downtimeMinutes: 30 });
    expect(error.decisionId).toBe('overlapping-windows');
    expect(error.inputs).toEqual({ '停机时长(分钟)': 30 });
    expect(error.message).toBe(
      'decision "overlapping-windows" (发布窗口) failed: hit policy UNIQUE allows one matching rule, 2 matched: ' +
        'rule 1 (overlapping-windows-r1), rule 2 (overlapping-windows-r2); inputs: 停机时长(分钟) = 30',
    );
  });

  it('ANY with matching rules that disagree', async () => {
    const error = await failureOf('failing.dmn', 'disagreeing-freeze', { weekday: '周五' });
    expect(error.message).toMatch(
      /^decision "disagreeing-freeze" \(Disagreeing freeze\) failed: hit policy ANY needs the matching rules to agree, rule 1 \(disagreeing-freeze-r1\), rule 2 \(disagreeing-freeze-r2\) give \{"frozen":true\} and \{"frozen":false\}; inputs: 星期 = "周五"$/,
    );
  });

  it('COLLECT SUM over an output that is not a number', async () => {
    const error = await failureOf('failing.dmn', 'score-of-text', { grade: 'A' });
    expect(error.message).toMatch(
      /COLLECT SUM needs numbers, rule 1 \(score-of-text-r1\) gives "A"; inputs: 等级 = "A"/,
    );
  });

  it('a failing required decision is named, with the decision that required it', async () => {
    const xml = fixture('release-plan.dmn').replace('<text>3</text>', '<text>"three"</text>');
    const document = await readDmn(xml);
    let error: unknown;
    try {
      evaluateDecision(document, 'release-plan', { databaseChange: true, downtime: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecisionEvaluationError);
    expect((error as DecisionEvaluationError).decisionId).toBe('risk-score');
    expect((error as Error).message).toMatch(
      /^decision "risk-score" \(Risk score\) \(required by "release-plan"\) failed: COLLECT SUM needs numbers/,
    );
  });

  it('a decision the file does not have', async () => {
    const error = await failureOf('hit-policies.dmn', 'no-such-decision', {});
    expect(error.message).toMatch(/decision "no-such-decision" is not in the DMN file "hit-policies"/);
  });

  it('an evaluation that outlives its time budget is stopped', async () => {
    const xml = fixture('release-plan.dmn').replace(
      '"封网期间请勿发布：" + string(days) + " 天"',
      'sum(for x in 1..days return x)',
    );
    const document = await readDmn(xml);
    expect(() =>
      evaluateDecision(document, 'freeze-notice', { days: 50_000_000 }, { timeoutMs: 50 }),
    ).toThrow(
      /^decision "freeze-notice" \(Freeze notice\) failed: did not finish within 50 ms; inputs: days = 50000000$/,
    );
  });
});
