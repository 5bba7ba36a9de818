import type { ArtifactView } from '../psl/psl.service.js';
import type { ReleaseEntity } from '../release.entity.js';
import { fields, h, list, p, table, type Block, type ReportDocument } from './report-document.js';
import type { CmdbChangeRecord, DeliveryRecord, StepRecord } from './report.repository.js';
import type { TimelineEntry } from '../timeline.js';

/** Everything a report is built from: the record, never anything else. */
export interface ReportData {
  readonly release: ReleaseEntity;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly steps: readonly StepRecord[];
  readonly artifacts: readonly ArtifactView[];
  readonly cmdbChanges: readonly CmdbChangeRecord[];
  readonly deliveries: readonly DeliveryRecord[];
  readonly incidents: number;
  /** The release's timeline, oldest first. */
  readonly timeline: readonly TimelineEntry[];
  readonly generatedAt: Date;
  /** The field labels of the forms the steps used, by form id and field key (the latest deployed versions). */
  readonly labels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const CLASS: Record<string, string> = {
  standard: '标准发布 standard',
  emergency: '紧急发布 emergency',
  major: '重大发布 major',
};
const SOURCE: Record<string, string> = {
  hardware: '硬件 hardware',
  software: '软件 software',
  'project-info': '项目信息 project-info',
  document: '文档 document',
  other: '其他 other',
};
const STATUS: Record<string, string> = {
  'in-progress': '进行中 in progress',
  closed: '已关闭 closed',
  rejected: '已驳回 rejected',
  'rolled-back': '已回退 rolled back',
  cancelled: '已取消 cancelled',
};
const CHANGE: Record<string, string> = {
  build: '构建 build',
  install: '安装 install',
  rollback: '回退 rollback',
  manual: '手工 manual',
};

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const time = (d: Date | string | null | undefined): string | null =>
  d
    ? new Date(d)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : null;
const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/** The label of a form field, e.g. "测试结论 (result)"; the key when the form does not know it. */
function label(data: ReportData, formKey: string | null, field: string): string {
  return (formKey ? data.labels[formKey]?.[field] : undefined) ?? field;
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? '是 yes' : '否 no';
  if (Array.isArray(v))
    return v.length === 0
      ? '（无 none）'
      : v.map((x) => (typeof x === 'object' ? summarise(x) : String(x))).join('; ');
  if (typeof v === 'object') return summarise(v);
  const s = String(v);
  return s.length > 500 ? `${s.slice(0, 500)}…` : s;
}

function summarise(o: unknown): string {
  if (!o || typeof o !== 'object') return String(o);
  return Object.entries(o as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function stepsOf(data: ReportData, formKey: string): StepRecord[] {
  return data.steps.filter((s) => s.formKey === formKey);
}

function lastOutput(data: ReportData, formKey: string): Record<string, unknown> | undefined {
  return stepsOf(data, formKey).at(-1)?.output;
}

interface Measures {
  readonly testRounds: number;
  readonly firstPassTest: boolean | null;
  readonly defects: number;
  readonly defectsBySeverity: Record<string, number>;
  readonly installAttempts: number;
  readonly rollbacks: number;
  readonly onTime: boolean | null;
  readonly leadTimeHours: number;
}

function measures(data: ReportData): Measures {
  const tests = stepsOf(data, 'test-report');
  const defects = tests.flatMap((t) =>
    Array.isArray(t.output.defects) ? (t.output.defects as unknown[]) : [],
  );
  const bySeverity: Record<string, number> = {};
  for (const d of defects) {
    const severity = str((d as Record<string, unknown>)?.severity) ?? 'unknown';
    bySeverity[severity] = (bySeverity[severity] ?? 0) + 1;
  }
  const end = data.release.closedAt ?? data.generatedAt;
  return {
    testRounds: tests.length,
    firstPassTest: tests.length === 0 ? null : tests[0]!.output.testResult === 'pass',
    defects: defects.length,
    defectsBySeverity: bySeverity,
    installAttempts: stepsOf(data, 'installation-record').length,
    rollbacks: stepsOf(data, 'rollback-record').length,
    onTime:
      data.release.plannedAt && data.release.installedAt
        ? data.release.installedAt.getTime() <= data.release.plannedAt.getTime()
        : null,
    leadTimeHours: Math.round(((end.getTime() - data.release.createdAt.getTime()) / 3_600_000) * 10) / 10,
  };
}

function identity(data: ReportData): Block {
  const r = data.release;
  const request = r.request as Record<string, unknown>;
  const v = data.variables;
  return fields([
    ['发布编号 Release number', r.number],
    ['标题 Title', r.title],
    ['类别 Class', CLASS[r.releaseClass] ?? r.releaseClass],
    ['来源 Source', SOURCE[r.source] ?? r.source],
    ['版本号 Version number', str(v.versionNumber) ?? r.versionNumber],
    ['配置基线 Baseline', str(v.baseline)],
    ['状态 Status', STATUS[r.status] ?? r.status],
    ['申请人 Filed by', r.createdBy],
    ['提交时间 Filed at', time(r.createdAt)],
    ['关联变更 Change request', str(request.changeRequest)],
    ['计划安装 Planned', time(r.plannedAt)],
    ['安装完成 Installed', time(r.installedAt)],
    ['关闭时间 Closed', time(r.closedAt)],
  ]);
}

function deliveryTable(data: ReportData): Block {
  return table(
    [
      '#',
      '文件 File',
      '版本 Version',
      '大小 Size',
      'SHA-256',
      '添加人 Added by',
      '添加时间 Added',
      '状态 Status',
    ],
    data.artifacts.map((a, i) => [
      String(i + 1),
      a.name,
      a.version,
      bytes(a.size),
      a.sha256,
      a.uploadedBy ?? '—',
      time(a.uploadedAt) ?? '—',
      a.status === 'archived' ? `已归档 archived ${time(a.archivedAt) ?? ''}`.trim() : '已上传 uploaded',
    ]),
    '（无交付文件 no files delivered）',
  );
}

function cmdbTable(data: ReportData): Block {
  return table(
    ['配置项 Item', '类型 Type', '变更 Change', '原版本 From', '新版本 To', '时间 At'],
    data.cmdbChanges.map((c) => [
      c.name,
      c.type,
      CHANGE[c.change] ?? c.change,
      c.previousVersion ?? '—',
      c.version ?? '—',
      time(c.at) ?? '—',
    ]),
  );
}

function stepTable(data: ReportData): Block {
  return table(
    ['步骤 Step', '执行人 By', '时间 At', '记录 Record'],
    data.steps.map((s) => [
      s.elementName ?? s.elementId ?? '—',
      s.actor ?? '—',
      time(s.at) ?? '—',
      Object.entries(s.output)
        .map(([k, v]) => `${label(data, s.formKey, k)}: ${value(v)}`)
        .join('\n'),
    ]),
  );
}

/** The timeline as a person reads it: when, who, which step, what happened and what was written. */
function timelineTable(data: ReportData): Block {
  return table(
    ['时间 At', '执行人 By', '步骤 Step', '内容 What'],
    data.timeline.map((e) => [
      time(e.at) ?? '—',
      e.actor ?? '系统 system',
      e.step ? (e.step.name ?? e.step.id) : '—',
      [
        e.summary,
        ...(e.kind === 'step' && e.values
          ? Object.entries(e.values).map(([k, v]) => `${label(data, lastFormKey(data, e), k)}: ${v}`)
          : []),
      ].join('\n'),
    ]),
    '（无记录 nothing recorded）',
  );
}

/** The form a step's values were written in (its record among the steps), for the fields' labels. */
function lastFormKey(data: ReportData, entry: TimelineEntry): string | null {
  return data.steps.find((s) => s.elementId === entry.step?.id)?.formKey ?? null;
}

function measureFields(m: Measures): Block {
  return fields([
    ['测试轮次 Test rounds', String(m.testRounds)],
    ['首次测试通过 First-pass test', m.firstPassTest === null ? null : m.firstPassTest ? '是 yes' : '否 no'],
    [
      '缺陷 Defects',
      `${m.defects}${
        m.defects
          ? ` (${Object.entries(m.defectsBySeverity)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')})`
          : ''
      }`,
    ],
    ['安装次数 Install attempts', String(m.installAttempts)],
    ['回退次数 Rollbacks', String(m.rollbacks)],
    ['按时安装 Installed on time', m.onTime === null ? null : m.onTime ? '是 yes' : '否 no'],
    ['周期 Lead time (request → close or now)', `${m.leadTimeHours} h`],
  ]);
}

/** 发布报告: the project manager's summary of the release, drafted from the record for him to complete. */
export function releaseReport(data: ReportData): ReportDocument {
  const r = data.release;
  const request = r.request as Record<string, unknown>;
  const v = data.variables;
  const written = lastOutput(data, 'release-report');
  // An emergency release is summed up by its post-implementation review (it has no release-report step).
  const review = lastOutput(data, 'post-implementation-review');
  const installs = stepsOf(data, 'installation-record');
  const rollbacks = stepsOf(data, 'rollback-record');
  const byChannel = new Map<string, number>();
  for (const d of data.deliveries.filter((d) => d.status === 'sent' && d.jobType === 'notify')) {
    byChannel.set(d.channel, (byChannel.get(d.channel) ?? 0) + 1);
  }
  const title = `发布报告 Release report — ${r.number}`;
  return {
    title,
    blocks: [
      h(1, title),
      p(`${r.title}`),
      h(2, '1. 基本信息 Release'),
      identity(data),
      h(2, '2. 范围与内容 Scope and content'),
      fields([
        ['发布范围 Scope', str(v.planScope) ?? str(request.scope)],
        ['发布内容 Content', str(v.planContent) ?? str(request.content)],
        [
          '受影响配置项 Configuration items',
          Array.isArray(request.configurationItems) ? request.configurationItems.join(', ') : null,
        ],
        ['分发范围 Distribution scope', str(v.distributionScope) ?? str(request.distributionScope)],
        [
          '发布方式 Distribution methods',
          Array.isArray(request.distributionMethods) ? request.distributionMethods.join(', ') : null,
        ],
        ['回退计划 Rollback plan', str(v.rollbackPlan) ?? str(request.rollbackPlan)],
      ]),
      h(2, '3. 过程记录 Steps'),
      stepTable(data),
      h(2, '4. 安装与回退 Installation and rollback'),
      table(
        ['#', '结果 Result', '失败原因 Failure reason', '时间 At'],
        installs.map((s, i) => [
          String(i + 1),
          value(s.output.installResult),
          value(s.output.failureReason ?? null),
          time(s.at) ?? '—',
        ]),
        '（尚未安装 not installed yet）',
      ),
      ...(rollbacks.length
        ? [
            table(
              ['回退原因 Rollback cause', '重新执行 Re-executed', '记录人 By', '时间 At'],
              rollbacks.map((s) => [
                value(s.output.rollbackCause),
                value(s.output.reExecute),
                s.actor ?? '—',
                time(s.at) ?? '—',
              ]),
            ),
          ]
        : []),
      h(2, '5. 配置项变更 CMDB changes'),
      cmdbTable(data),
      h(2, '6. 产品交付列表 Delivery list'),
      deliveryTable(data),
      h(2, '7. 通知 Notifications'),
      byChannel.size
        ? list([...byChannel].map(([channel, n]) => `${channel}: ${n}`))
        : p('（未发送通知 no notifications sent）'),
      h(2, '8. 指标 Measures'),
      measureFields(measures(data)),
      ...(data.incidents ? [p(`自动步骤故障 Incidents raised by automatic steps: ${data.incidents}`)] : []),
      h(2, '9. 总结 Summary'),
      written
        ? fields([
            [label(data, 'release-report', 'summary'), value(written.summary)],
            [label(data, 'release-report', 'deliveredItems'), value(written.deliveredItems ?? null)],
            [label(data, 'release-report', 'issues'), value(written.issues ?? null)],
          ])
        : review
          ? fields([
              [label(data, 'post-implementation-review', 'reviewFindings'), value(review.reviewFindings)],
              [label(data, 'post-implementation-review', 'rootCause'), value(review.rootCause ?? null)],
              [
                label(data, 'post-implementation-review', 'followUpActions'),
                value(review.followUpActions ?? null),
              ],
            ])
          : p(
              r.status === 'in-progress'
                ? '（待项目经理填写 to be written by the project manager）'
                : '（无总结 no summary was written）',
            ),
      h(2, '10. 时间线 Timeline'),
      timelineTable(data),
      p(`生成时间 Generated ${time(data.generatedAt)}`),
    ],
  };
}

/** 产品交付列表: each delivered file with its size and checksum. */
export function deliveryList(data: ReportData): ReportDocument {
  const r = data.release;
  const title = `产品交付列表 Delivery list — ${r.number}`;
  const archived = data.artifacts.filter((a) => a.status === 'archived');
  return {
    title,
    blocks: [
      h(1, title),
      fields([
        ['发布编号 Release number', r.number],
        ['标题 Title', r.title],
        ['版本号 Version number', str(data.variables.versionNumber) ?? r.versionNumber ?? r.number],
        ['文件数 Files', `${data.artifacts.length}（已归档 archived ${archived.length}）`],
        ['总大小 Total size', bytes(data.artifacts.reduce((n, a) => n + a.size, 0))],
      ]),
      deliveryTable(data),
      p('校验方法 Check: sha256sum <file> must print the SHA-256 above. 安装前由 psl.verify 自动校验.'),
      p(`生成时间 Generated ${time(data.generatedAt)}`),
    ],
  };
}

/** 发布评估报告: how the (major) release went, measured against its plan. */
export function assessmentReport(data: ReportData): ReportDocument {
  const r = data.release;
  const m = measures(data);
  const userVerification = lastOutput(data, 'external-test-report');
  const written = lastOutput(data, 'release-assessment-report');
  const releaseSummary = lastOutput(data, 'release-report');
  const strategy = lastOutput(data, 'release-strategy');
  const title = `发布评估报告 Release assessment report — ${r.number}`;
  const success = m.rollbacks === 0;
  return {
    title,
    blocks: [
      h(1, title),
      p(r.title),
      h(2, '1. 基本信息 Release'),
      identity(data),
      h(2, '2. 目标与验收 Goals and acceptance'),
      fields([
        [label(data, 'release-strategy', 'expectedOutputs'), value(strategy?.expectedOutputs ?? null)],
        [label(data, 'release-strategy', 'acceptanceCriteria'), value(strategy?.acceptanceCriteria ?? null)],
        ['用户验证 User verification', userVerification ? value(userVerification.verificationResult) : null],
        [
          label(data, 'external-test-report', 'userEnvironment'),
          value(userVerification?.userEnvironment ?? null),
        ],
        [label(data, 'external-test-report', 'findings'), value(userVerification?.findings ?? null)],
      ]),
      h(2, '3. 指标 Measures'),
      measureFields(m),
      fields([
        ['一次成功 Succeeded without rollback', success ? '是 yes' : '否 no'],
        ['配置项变更 CMDB changes', String(data.cmdbChanges.length)],
        ['交付文件 Files delivered', String(data.artifacts.length)],
      ]),
      h(2, '4. 发布报告摘要 From the release report'),
      p(value(releaseSummary?.summary ?? '（无 none）')),
      h(2, '5. 评估 Assessment'),
      written
        ? fields([
            [label(data, 'release-assessment-report', 'assessment'), value(written.assessment)],
            [label(data, 'release-assessment-report', 'rating'), value(written.rating)],
            [
              label(data, 'release-assessment-report', 'lessonsLearned'),
              value(written.lessonsLearned ?? null),
            ],
          ])
        : p('（待项目经理填写 to be written by the project manager）'),
      h(2, '6. 过程记录 Steps'),
      stepTable(data),
      p(`生成时间 Generated ${time(data.generatedAt)}`),
    ],
  };
}
