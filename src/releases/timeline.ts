import type { JsonObject } from '../platform/json.js';

/**
 * The timeline of a release: its history as a person reads it. The raw history (`/history`) keeps every engine
 * event; the timeline keeps the ones that say something (who did which step and what they decided and wrote,
 * what each automatic step did, incidents and how they were resolved) and summarises each.
 */

/** The history event types the timeline shows; engine steps (activity.*, flow.take) stay in the raw history. */
export const TIMELINE_EVENT_TYPES = [
  'instance.started',
  'task.completed',
  'task.claimed',
  'task.unclaimed',
  'task.assigned',
  'task.escalated',
  'job.completed',
  'job.error-thrown',
  'incident.created',
  'incident.retried',
  'incident.resolved',
  'variables.updated',
  'instance.cancelled',
  'instance.completed',
] as const;

export type TimelineKind =
  | 'filed'
  | 'step'
  | 'assignment'
  | 'escalation'
  | 'automatic'
  | 'incident'
  | 'incident-resolved'
  | 'variables'
  | 'cancelled'
  | 'ended';

/** One line of the timeline. */
export interface TimelineEntry {
  /** The history event it comes from (its id in `/history`). */
  readonly eventId: string;
  readonly at: Date;
  readonly kind: TimelineKind;
  /** The step (BPMN element) it happened in. */
  readonly step: { readonly id: string; readonly name: string | null } | null;
  /** Who: a username; null for what the service did by itself. */
  readonly actor: string | null;
  /** One sentence: what happened. */
  readonly summary: string;
  /** A person's decision in the step (approve, pass, success...), as `field: value`. */
  readonly decision?: string;
  /** What the person wrote: each form field, its value summarised. */
  readonly values?: Readonly<Record<string, string>>;
  /** What an automatic step did, or an incident's error, in a bounded shape. */
  readonly details?: JsonObject;
}

/** A history event as stored. */
export interface TimelineEvent {
  readonly id: string;
  readonly type: string;
  readonly elementId: string | null;
  readonly elementName: string | null;
  readonly actor: string | null;
  readonly data: JsonObject | null;
  readonly createdAt: Date;
}

const MAX_TEXT = 300;
const MAX_LISTED = 50;

const DECISION = /(Decision|Result)$|^reExecute$|^configurationVerified$/;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A form value as text: long text clipped, lists counted and summarised, yes/no for booleans. */
export function summariseValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return clip(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    const shown = value.slice(0, 5).map((item) =>
      item && typeof item === 'object'
        ? Object.entries(item as Obj)
            .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
            .join(', ')
        : String(item),
    );
    return clip(`${value.length > 5 ? `${value.length} items: ` : ''}${shown.join('; ')}`);
  }
  return clip(JSON.stringify(value));
}

/** Keep at most MAX_LISTED entries of a list, in a JSON shape. */
function listed(items: unknown[], pick: (item: Obj) => JsonObject): JsonObject[] {
  return items.slice(0, MAX_LISTED).map((item) => pick(obj(item)));
}

/** What an automatic step did, by its job type. */
function automatic(jobType: string, outcome: Obj): { summary: string; details: JsonObject } {
  const note = str(outcome.note);
  const withNote = (summary: string) => (note ? `${summary} (${note})` : summary);
  switch (jobType) {
    case 'psl.archive': {
      const files = listed(arr(outcome.archived), (f) => ({
        name: String(f.name ?? ''),
        sha256: String(f.sha256 ?? ''),
        size: Number(f.size ?? 0),
      }));
      return {
        summary: withNote(
          `archived ${plural(arr(outcome.archived).length, 'file')} in the product library${str(outcome.version) ? `, version ${String(outcome.version)}` : ''}`,
        ),
        details: { files, version: str(outcome.version), note },
      };
    }
    case 'psl.verify': {
      const files = listed(arr(outcome.verified), (f) => ({
        name: String(f.name ?? ''),
        sha256: String(f.sha256 ?? ''),
        ok: f.ok === true,
      }));
      return {
        summary: withNote(
          `checked ${plural(arr(outcome.verified).length, 'file')} against their SHA-256 before install`,
        ),
        details: { files, note },
      };
    }
    case 'cmdb.sync': {
      const items = listed(arr(outcome.items), (i) => ({
        name: String(i.name ?? ''),
        from: (i.from as string | null) ?? null,
        to: (i.to as string | null) ?? null,
      }));
      return {
        summary: withNote(
          `CMDB ${String(outcome.action ?? 'update')}: ${items.map((i) => `${String(i.name)} ${String(i.from ?? '—')} → ${String(i.to ?? '—')}`).join(', ') || 'no configuration items moved'}`,
        ),
        details: { action: str(outcome.action), version: str(outcome.version), items, note },
      };
    }
    case 'notify': {
      const recipients = arr(outcome.recipients).slice(0, MAX_LISTED).map(String);
      const deliveries = arr(outcome.deliveries).slice(0, MAX_LISTED).map(String);
      return {
        summary: withNote(
          `notified (${String(outcome.template ?? 'notice')}) ${recipients.length ? recipients.join(', ') : 'nobody'}${deliveries.length ? ` by ${[...new Set(deliveries.map((d) => d.split(' ')[0]))].join(', ')}` : ''}`,
        ),
        details: {
          template: str(outcome.template),
          subject: str(outcome.subject),
          recipients,
          deliveries,
          sent: typeof outcome.sent === 'number' ? outcome.sent : 0,
          note,
        },
      };
    }
    case 'release.rollback': {
      const restored = listed(arr(outcome.restored), (r) => ({
        name: String(r.name ?? ''),
        from: (r.from as string | null) ?? null,
        to: (r.baselineVersion as string | null) ?? null,
      }));
      const hook = obj(outcome.hook);
      return {
        summary: `rolled back: ${restored.length ? restored.map((r) => `${String(r.name)} → ${String(r.to ?? '—')}`).join(', ') : 'no configuration items to restore'}; runbook hook ${hook.called ? 'called' : 'not called'}`,
        details: { restored, hook: hook as JsonObject },
      };
    }
    case 'report.generate': {
      const reports = arr(outcome.reports).map((r) => String(obj(r).kind ?? ''));
      return { summary: `generated ${reports.join(', ') || 'no reports'}`, details: { reports } };
    }
    default: {
      const text = JSON.stringify(outcome);
      return {
        summary: withNote(`${jobType} done`),
        details: text.length > 2000 ? { note: 'outcome too long to show' } : (outcome as JsonObject),
      };
    }
  }
}

/** The timeline entry of a history event of one of TIMELINE_EVENT_TYPES. */
export function timelineEntry(event: TimelineEvent): TimelineEntry {
  const data = obj(event.data);
  const step = event.elementId ? { id: event.elementId, name: event.elementName } : null;
  const stepName = event.elementName ?? event.elementId ?? 'a step';
  const base = { eventId: String(event.id), at: event.createdAt, step, actor: event.actor };
  switch (event.type) {
    case 'instance.started':
      return {
        ...base,
        kind: 'filed',
        summary: `${event.actor ?? 'someone'} filed the release (${String(data.processKey ?? 'flow')} version ${String(data.version ?? '?')})`,
      };
    case 'task.completed': {
      const output = obj(data.output);
      const values = Object.fromEntries(Object.entries(output).map(([k, v]) => [k, summariseValue(v)]));
      const decisionKey = Object.keys(output).find((k) => DECISION.test(k));
      const decision = decisionKey ? `${decisionKey}: ${summariseValue(output[decisionKey])}` : undefined;
      return {
        ...base,
        kind: 'step',
        summary: `${event.actor ?? 'someone'} completed ${stepName}${decision ? ` (${decision})` : ''}`,
        ...(decision ? { decision } : {}),
        values,
      };
    }
    case 'task.claimed':
      return { ...base, kind: 'assignment', summary: `${event.actor ?? 'someone'} claimed ${stepName}` };
    case 'task.unclaimed':
      return { ...base, kind: 'assignment', summary: `${event.actor ?? 'someone'} gave ${stepName} back` };
    case 'task.assigned':
      return {
        ...base,
        kind: 'assignment',
        summary: `${event.actor ?? 'someone'} assigned ${stepName} to ${String(data.assignee ?? 'nobody')}`,
        details: { assignee: (data.assignee as string | null) ?? null },
      };
    case 'task.escalated':
      return {
        ...base,
        kind: 'escalation',
        summary: `${stepName} was not decided in time: escalated to ${String(data.escalatedTo)} at priority ${String(data.priority)}`,
        details: {
          escalatedTo: str(data.escalatedTo),
          priority: Number(data.priority ?? 0),
          previousPriority: Number(data.previousPriority ?? 0),
          timer: str(data.timer),
        },
      };
    case 'job.completed': {
      const done = automatic(String(data.jobType ?? 'job'), obj(data.outcome));
      return { ...base, kind: 'automatic', summary: `${stepName}: ${done.summary}`, details: done.details };
    }
    case 'job.error-thrown':
      return {
        ...base,
        kind: 'automatic',
        summary: `${stepName}: raised error ${String(data.errorCode)}${str(data.errorMessage) ? ` (${clip(String(data.errorMessage))})` : ''}`,
        details: {
          errorCode: str(data.errorCode),
          errorMessage: str(data.errorMessage) && clip(String(data.errorMessage)),
        },
      };
    case 'incident.created':
      return {
        ...base,
        kind: 'incident',
        summary: `${stepName} failed and waits for an operator: ${clip(String(data.error ?? ''))}`,
        details: {
          incidentId: str(data.incidentId),
          jobType: str(data.jobType),
          error: clip(String(data.error ?? '')),
        },
      };
    case 'incident.retried':
      return {
        ...base,
        kind: 'incident-resolved',
        summary: `${event.actor ?? 'an operator'} retried ${stepName}`,
        details: { incidentId: str(data.incidentId), resolution: 'retried' },
      };
    case 'incident.resolved':
      return {
        ...base,
        kind: 'incident-resolved',
        summary: `${event.actor ?? 'an operator'} resolved ${stepName} by hand: ${clip(String(data.comment ?? ''))}`,
        details: { incidentId: str(data.incidentId), resolution: 'resolved', comment: str(data.comment) },
      };
    case 'variables.updated': {
      const names = Object.keys(obj(data.variables));
      return {
        ...base,
        kind: 'variables',
        summary: `${event.actor ?? 'someone'} changed ${names.join(', ') || 'no variables'}`,
        values: Object.fromEntries(
          Object.entries(obj(data.variables)).map(([k, v]) => [k, summariseValue(v)]),
        ),
      };
    }
    case 'instance.cancelled':
      return {
        ...base,
        kind: 'cancelled',
        summary: `${event.actor ?? 'someone'} cancelled the release: ${clip(String(data.reason ?? ''))}`,
      };
    case 'instance.completed':
      return {
        ...base,
        kind: 'ended',
        summary: `the flow ended${str(data.endStatus) ? `: ${String(data.endStatus)}` : ''}`,
        details: { endStatus: str(data.endStatus) },
      };
    default:
      return { ...base, kind: 'automatic', summary: `${event.type} ${stepName}` };
  }
}
