/**
 * The procedure's templates as forms. Each user task names its form (zeebe formKey); the inbox hands the
 * schema out with the task and validates what is submitted against it. Labels keep the procedure's Chinese
 * with English beside.
 */
export interface FormField {
  readonly type: 'string' | 'boolean' | 'integer' | 'array';
  readonly title: string;
  readonly enum?: readonly string[];
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly format?: 'date-time';
  readonly pattern?: string;
  readonly items?:
    | FormField
    | {
        readonly type: 'object';
        readonly properties: Record<string, FormField>;
        readonly required: readonly string[];
      };
  readonly maxItems?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface FormSchema {
  readonly key: string;
  readonly title: string;
  readonly type: 'object';
  readonly properties: Readonly<Record<string, FormField>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
}

const text = (title: string, maxLength = 4000): FormField => ({ type: 'string', title, maxLength });
const required = (title: string, maxLength = 4000): FormField => ({
  type: 'string',
  title,
  minLength: 1,
  maxLength,
});
const choice = (title: string, values: readonly string[]): FormField => ({
  type: 'string',
  title,
  enum: values,
});
const flag = (title: string): FormField => ({ type: 'boolean', title });
const dateTime = (title: string): FormField => ({ type: 'string', title, format: 'date-time' });

function form(
  key: string,
  title: string,
  properties: Record<string, FormField>,
  requiredFields: string[],
): FormSchema {
  return { key, title, type: 'object', properties, required: requiredFields, additionalProperties: false };
}

export const FORMS: readonly FormSchema[] = [
  form(
    'release-request',
    '任务申请单 (release request)',
    {
      title: required('标题 (title)', 200),
      source: choice('发布来源 (source)', ['hardware', 'software', 'project-info', 'document', 'other']),
      scope: text('发布范围 (scope)', 2000),
      releaseContent: text('发布内容 (content)', 10000),
      plannedAt: dateTime('计划时间 (planned time)'),
      changeRequest: text('关联变更 (change request)', 100),
      rollbackPlan: text('回退计划 (rollback plan)', 10000),
      distributionScope: text('分发范围 (distribution scope)', 2000),
      revisionNote: required('修改说明 (what was revised)', 2000),
    },
    ['title', 'source', 'revisionNote'],
  ),
  form(
    'release-assessment',
    '发布申请评估 (request assessment)',
    {
      assessmentDecision: choice('评估结论 (decision)', ['approve', 'reject', 'rework']),
      impactAssessment: required('对其他变更的影响 (impact on other changes)'),
      comment: text('意见 (comment)'),
    },
    ['assessmentDecision', 'impactAssessment'],
  ),
  form(
    'release-strategy',
    '发布策略 (release strategy)',
    {
      namingRule: required('命名/编号规则 (naming and numbering rule)', 500),
      releaseType: choice('发布类型 (type)', ['full', 'delta', 'package']),
      releaseScope: required('发布范围 (scope)', 2000),
      releaseMethod: required('发布方式 (method)', 2000),
      expectedOutputs: required('预期输出 (expected outputs)', 2000),
      acceptanceCriteria: required('验收标准 (acceptance criteria)', 4000),
    },
    ['namingRule', 'releaseType', 'releaseScope', 'releaseMethod', 'expectedOutputs', 'acceptanceCriteria'],
  ),
  form(
    'release-plan',
    '发布计划 (release plan)',
    {
      plannedStart: dateTime('计划开始 (planned start)'),
      plannedEnd: dateTime('计划完成 (planned end)'),
      planScope: required('范围 (scope)', 2000),
      planContent: required('内容 (content)', 10000),
      rollbackPlan: required('回退计划 (rollback plan)', 10000),
      distributionScope: text('分发范围 (distribution scope)', 2000),
    },
    ['plannedStart', 'planScope', 'planContent', 'rollbackPlan'],
  ),
  form(
    'plan-review',
    '发布计划评审 (plan review)',
    { planApproved: flag('计划通过 (plan approved)'), reviewComment: text('评审意见 (review comment)') },
    ['planApproved'],
  ),
  form(
    'version-allocation',
    '版本号分配与配置基线 (version and baseline)',
    {
      versionNumber: {
        type: 'string',
        title: '版本号 VN (version number)',
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]*$',
      },
      baseline: required('配置基线 (configuration baseline)', 2000),
    },
    ['versionNumber', 'baseline'],
  ),
  form(
    'build-record',
    '构建记录 (build record)',
    {
      packageName: required('发布包 (package)', 255),
      buildProcedure: required('构建步骤，可重复 (how to repeat the build)', 10000),
      buildNotes: text('说明 (notes)'),
    },
    ['packageName', 'buildProcedure'],
  ),
  form(
    'test-report',
    '测试报告 (test report)',
    {
      testResult: choice('测试结论 (result)', ['pass', 'fail']),
      testSummary: required('测试概述 (summary)', 10000),
      defects: {
        type: 'array',
        title: '缺陷 (defects)',
        maxItems: 200,
        items: {
          type: 'object',
          properties: {
            id: required('编号 (id)', 64),
            severity: choice('严重程度 (severity)', ['critical', 'major', 'minor']),
            description: required('描述 (description)', 2000),
          },
          required: ['id', 'severity', 'description'],
        },
      },
    },
    ['testResult', 'testSummary'],
  ),
  form(
    'deployment-authorisation',
    '发布授权 (deployment authorisation)',
    {
      deploymentDecision: choice('授权结论 (decision)', ['approve', 'reject']),
      comment: text('意见 (comment)'),
    },
    ['deploymentDecision'],
  ),
  form(
    'installation-record',
    '安装记录 (installation record)',
    {
      installResult: choice('安装结果 (result)', ['success', 'failure']),
      installedAt: dateTime('安装时间 (installed at)'),
      smokeTest: text('冒烟测试 (smoke test)'),
      failureReason: text('失败原因 (failure reason)'),
      notes: text('说明 (notes)'),
    },
    ['installResult'],
  ),
  form(
    'rollback-record',
    '回退记录 (rollback record)',
    { rollbackCause: required('回退原因 (cause)'), reExecute: flag('重新执行变更 (re-execute the change)') },
    ['rollbackCause', 'reExecute'],
  ),
  form(
    'configuration-check',
    '配置核查 (configuration check)',
    { configurationVerified: flag('配置一致 (configuration verified)'), notes: text('说明 (notes)') },
    ['configurationVerified'],
  ),
  form(
    'verification-record',
    '安装后验证 (verification after install)',
    { verificationResult: choice('验证结论 (result)', ['pass', 'fail']), notes: text('说明 (notes)') },
    ['verificationResult'],
  ),
  form(
    'external-test-report',
    '外测报告 (external test report)',
    {
      verificationResult: choice('验证结论 (result)', ['pass', 'fail']),
      userEnvironment: required('用户环境 (user environment)', 2000),
      findings: required('验证发现 (findings)', 10000),
    },
    ['verificationResult', 'userEnvironment', 'findings'],
  ),
  form(
    'emergency-approval',
    '紧急发布审批 (emergency approval)',
    {
      approvalDecision: choice('审批结论 (decision)', ['approve', 'reject']),
      justification: text('理由 (justification)'),
    },
    ['approvalDecision'],
  ),
  form(
    'emergency-documentation',
    '补充发布文档 (documentation after the fact)',
    { documentation: required('发布文档 (documentation)', 20000) },
    ['documentation'],
  ),
  form(
    'post-implementation-review',
    '实施后评审 (post-implementation review)',
    {
      reviewFindings: required('评审结论 (findings)', 10000),
      rootCause: text('根本原因 (root cause)', 10000),
      followUpActions: text('后续措施 (follow-up actions)', 10000),
    },
    ['reviewFindings'],
  ),
  form(
    'release-report',
    '发布报告 (release report)',
    {
      summary: required('发布总结 (summary)', 20000),
      deliveredItems: text('交付内容 (delivered items)', 10000),
      issues: text('问题 (issues)', 10000),
    },
    ['summary'],
  ),
  form(
    'release-assessment-report',
    '发布评估报告 (release assessment report)',
    {
      assessment: required('评估 (assessment)', 20000),
      rating: choice('评价 (rating)', ['successful', 'partly-successful', 'unsuccessful']),
      lessonsLearned: text('经验教训 (lessons learned)', 10000),
    },
    ['assessment', 'rating'],
  ),
  form(
    'archive-record',
    '归档记录 (archive record)',
    { archiveLocation: required('归档位置 (archive location)', 1000), notes: text('说明 (notes)') },
    ['archiveLocation'],
  ),
];
