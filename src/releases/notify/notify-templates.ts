import type { NotifyLanguage } from '../../config/app-config.js';
import type { Role } from '../../identity/user.entity.js';

/** The events people are told about (the `template` header of a notify service task). */
export const NOTIFY_TEMPLATES = [
  'request-filed',
  'approval-needed',
  'task-assigned',
  'test-failed',
  'rollback',
  'released',
  'closed',
  'rejected',
  'escalation',
  'notice',
] as const;
export type NotifyTemplate = (typeof NOTIFY_TEMPLATES)[number];

/** What a message is built from: the release as the job sees it, and the task headers. */
export interface MessageFacts {
  readonly number: string | null;
  readonly title: string | null;
  readonly releaseClass: string | null;
  readonly version: string | null;
  readonly distributionScope: string | null;
  readonly distributionMethods: readonly string[];
  readonly variables: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface Message {
  readonly subject: string;
  /** Paragraphs; rendered as plain text, Markdown (robots) and HTML (mail). */
  readonly lines: readonly string[];
}

interface TemplateSpec {
  /** Users with these roles are told. */
  readonly roles: readonly Role[];
  /** The applicant who filed the release is told too. */
  readonly filer: boolean;
  /** The release's distribution scope is told, by its distribution methods (procedure step 12). */
  readonly distribution: boolean;
  readonly zh: (f: MessageFacts) => Message;
  readonly en: (f: MessageFacts) => Message;
}

const CLASS_ZH: Record<string, string> = { standard: '标准发布', emergency: '紧急发布', major: '重大发布' };
const METHOD_ZH: Record<string, string> = {
  intranet: '内网',
  email: '电子邮件',
  paper: '纸质',
  telegram: '电报',
};

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value : null);
const ref = (f: MessageFacts) => [f.number, f.title ? `“${f.title}”` : null].filter(Boolean).join(' ');
const refEn = (f: MessageFacts) => [f.number, f.title ? `"${f.title}"` : null].filter(Boolean).join(' ');
const facts = (f: MessageFacts, zh: boolean): string[] =>
  [
    f.number ? (zh ? `发布编号：${f.number}` : `Release: ${f.number}`) : null,
    f.title ? (zh ? `标题：${f.title}` : `Title: ${f.title}`) : null,
    f.releaseClass
      ? zh
        ? `类别：${CLASS_ZH[f.releaseClass] ?? f.releaseClass}`
        : `Class: ${f.releaseClass}`
      : null,
    f.version ? (zh ? `版本号：${f.version}` : `Version: ${f.version}`) : null,
  ].filter((line): line is string => line !== null);
const defectCount = (f: MessageFacts) =>
  Array.isArray(f.variables.defects) ? f.variables.defects.length : 0;

const TEMPLATES: Readonly<Record<NotifyTemplate, TemplateSpec>> = {
  'request-filed': {
    roles: ['project-manager'],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【发布申请】${ref(f)} 已提交，待评估`,
      lines: [`发布申请已提交，请项目经理评估其对其他变更的影响。`, ...facts(f, true)],
    }),
    en: (f) => ({
      subject: `Release request ${refEn(f)} filed: awaiting assessment`,
      lines: [`A release request was filed; the project manager assesses it.`, ...facts(f, false)],
    }),
  },
  'approval-needed': {
    roles: ['project-manager'],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【待审批】${ref(f)} 需要审批`,
      lines: [`${CLASS_ZH[f.releaseClass ?? ''] ?? '发布'}等待审批，请尽快处理。`, ...facts(f, true)],
    }),
    en: (f) => ({
      subject: `Approval needed: ${refEn(f)}`,
      lines: [`The ${f.releaseClass ?? ''} release waits for approval.`, ...facts(f, false)],
    }),
  },
  'task-assigned': {
    roles: [],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【待办】${f.headers.task ?? '新任务'}：${ref(f)}`,
      lines: [`您有一项新的待办任务：${f.headers.task ?? '请查看任务收件箱'}。`, ...facts(f, true)],
    }),
    en: (f) => ({
      subject: `Task assigned: ${f.headers.task ?? 'new task'} for ${refEn(f)}`,
      lines: [`A task waits in your inbox: ${f.headers.task ?? 'see the task inbox'}.`, ...facts(f, false)],
    }),
  },
  'test-failed': {
    roles: ['project-team', 'project-manager'],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【测试未通过】${ref(f)}`,
      lines: [
        `发布测试未通过（缺陷 ${defectCount(f)} 个），请项目组修复后重新构建。`,
        ...facts(f, true),
        ...(str(f.variables.testSummary) ? [`测试概述：${str(f.variables.testSummary)}`] : []),
      ],
    }),
    en: (f) => ({
      subject: `Tests failed: ${refEn(f)}`,
      lines: [
        `The release failed its tests (${defectCount(f)} defects); the project team fixes and rebuilds.`,
        ...facts(f, false),
        ...(str(f.variables.testSummary) ? [`Test summary: ${str(f.variables.testSummary)}`] : []),
      ],
    }),
  },
  rollback: {
    roles: ['project-manager', 'project-team', 'network-engineer'],
    filer: true,
    distribution: false,
    zh: (f) => ({
      subject: `【发布回退】${ref(f)} 已回退`,
      lines: [
        `发布已回退，配置项已恢复到基线版本。`,
        ...facts(f, true),
        ...(str(f.variables.rollbackCause) ? [`回退原因：${str(f.variables.rollbackCause)}`] : []),
      ],
    }),
    en: (f) => ({
      subject: `Rolled back: ${refEn(f)}`,
      lines: [
        `The release was rolled back; its configuration items are back at their baseline versions.`,
        ...facts(f, false),
        ...(str(f.variables.rollbackCause) ? [`Cause: ${str(f.variables.rollbackCause)}`] : []),
      ],
    }),
  },
  released: {
    roles: ['project-manager'],
    filer: true,
    distribution: true,
    zh: (f) => ({
      subject: `【发布通知】${ref(f)}${f.version ? ` 版本 ${f.version}` : ''} 已发布`,
      lines: [
        `发布已完成安装并通过核查，现予分发。`,
        ...facts(f, true),
        ...(f.distributionScope ? [`分发范围：${f.distributionScope}`] : []),
        ...(f.distributionMethods.length
          ? [`发布方式：${f.distributionMethods.map((m) => METHOD_ZH[m] ?? m).join('、')}`]
          : []),
      ],
    }),
    en: (f) => ({
      subject: `Released: ${refEn(f)}${f.version ? ` version ${f.version}` : ''}`,
      lines: [
        `The release is installed and checked, and is hereby distributed.`,
        ...facts(f, false),
        ...(f.distributionScope ? [`Distribution scope: ${f.distributionScope}`] : []),
        ...(f.distributionMethods.length
          ? [`Distribution methods: ${f.distributionMethods.join(', ')}`]
          : []),
      ],
    }),
  },
  closed: {
    roles: ['project-manager', 'network-engineer'],
    filer: true,
    distribution: false,
    zh: (f) => ({
      subject: `【发布关闭】${ref(f)}`,
      lines: [`发布已关闭，发布报告已归档。`, ...facts(f, true)],
    }),
    en: (f) => ({
      subject: `Closed: ${refEn(f)}`,
      lines: [`The release is closed and its report archived.`, ...facts(f, false)],
    }),
  },
  rejected: {
    roles: [],
    filer: true,
    distribution: false,
    zh: (f) => ({
      subject: `【发布驳回】${ref(f)}`,
      lines: [
        `您的发布申请未获批准。`,
        ...facts(f, true),
        ...(str(f.variables.comment) ? [`意见：${str(f.variables.comment)}`] : []),
      ],
    }),
    en: (f) => ({
      subject: `Rejected: ${refEn(f)}`,
      lines: [
        `Your release request was not approved.`,
        ...facts(f, false),
        ...(str(f.variables.comment) ? [`Comment: ${str(f.variables.comment)}`] : []),
      ],
    }),
  },
  escalation: {
    // The configured escalation group (ESCALATION_GROUP), added by the service: not the managers who let it lapse.
    roles: [],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【升级】${ref(f)} 审批超时`,
      lines: [
        `紧急发布在时限${str(f.variables.escalationTimeout) ? `（${str(f.variables.escalationTimeout)}）` : ''}内未获审批，现升级处理。`,
        ...facts(f, true),
      ],
    }),
    en: (f) => ({
      subject: `Escalation: ${refEn(f)} not approved in time`,
      lines: [
        `The emergency release was not decided within its time limit${str(f.variables.escalationTimeout) ? ` (${str(f.variables.escalationTimeout)})` : ''}.`,
        ...facts(f, false),
      ],
    }),
  },
  notice: {
    roles: [],
    filer: false,
    distribution: false,
    zh: (f) => ({
      subject: `【流程通知】${ref(f) || f.headers.subject || ''}`.trim(),
      lines: facts(f, true),
    }),
    en: (f) => ({ subject: `Notice: ${refEn(f) || f.headers.subject || ''}`.trim(), lines: facts(f, false) }),
  },
};

export function isTemplate(value: string): value is NotifyTemplate {
  return (NOTIFY_TEMPLATES as readonly string[]).includes(value);
}

export function templateSpec(template: NotifyTemplate): Omit<TemplateSpec, 'zh' | 'en'> {
  return TEMPLATES[template];
}

/** The message in the configured language; both: Chinese first, then English. */
export function composeMessage(template: NotifyTemplate, f: MessageFacts, language: NotifyLanguage): Message {
  const spec = TEMPLATES[template];
  if (language === 'zh') return spec.zh(f);
  if (language === 'en') return spec.en(f);
  const zh = spec.zh(f);
  const en = spec.en(f);
  return { subject: `${zh.subject} / ${en.subject}`, lines: [...zh.lines, '—', ...en.lines] };
}
